"""Regulations written for the office-file tests (invented, in the form of provincial regulations),
with questions as officers type them and what a right answer contains."""
from __future__ import annotations

QUY_CHE_DOAN_RA = """# ỦY BAN NHÂN DÂN TỈNH
# QUY CHẾ QUẢN LÝ ĐOÀN RA CỦA TỈNH
Ban hành kèm theo Quyết định số 27/2026/QĐ-UBND ngày 10 tháng 3 năm 2026 của Ủy ban nhân dân tỉnh.
Chương I
QUY ĐỊNH CHUNG
Điều 1. Phạm vi điều chỉnh
Quy chế này quy định việc quản lý các đoàn cán bộ, công chức, viên chức của tỉnh đi công tác nước ngoài (đoàn ra), từ khâu xây dựng kế hoạch, trình duyệt đến báo cáo kết quả chuyến đi.
Điều 2. Đối tượng áp dụng
Quy chế này áp dụng đối với các sở, ban, ngành, Ủy ban nhân dân cấp huyện và các đơn vị sự nghiệp công lập thuộc tỉnh.
Chương II
XÂY DỰNG VÀ TRÌNH DUYỆT KẾ HOẠCH
Điều 3. Kế hoạch đoàn ra hằng năm
1. Trước ngày 15 tháng 11 hằng năm, các cơ quan, đơn vị gửi kế hoạch đoàn ra của năm sau về Sở Ngoại vụ để tổng hợp.
2. Sở Ngoại vụ tổng hợp, trình Ủy ban nhân dân tỉnh phê duyệt kế hoạch đoàn ra của toàn tỉnh trước ngày 31 tháng 12.
Điều 4. Hồ sơ đề nghị cử đoàn đi công tác nước ngoài
1. Hồ sơ đề nghị cử đoàn gồm:
a) Tờ trình của cơ quan cử đoàn;
b) Thư mời của đối tác nước ngoài kèm bản dịch tiếng Việt;
c) Chương trình làm việc dự kiến và dự toán kinh phí;
d) Danh sách thành viên đoàn.
2. Hồ sơ gửi Sở Ngoại vụ chậm nhất 20 ngày làm việc trước ngày dự kiến xuất cảnh.
3. Trong thời hạn 07 ngày làm việc kể từ ngày nhận đủ hồ sơ hợp lệ, Sở Ngoại vụ có ý kiến thẩm định bằng văn bản.
Điều 5. Số lượng thành viên và thời gian công tác
1. Mỗi đoàn ra không quá 10 thành viên, trừ trường hợp được Chủ tịch Ủy ban nhân dân tỉnh cho phép.
2. Thời gian công tác của một đoàn ra không quá 07 ngày, không kể thời gian đi đường.
Chương III
BÁO CÁO VÀ TỔ CHỨC THỰC HIỆN
Điều 6. Báo cáo kết quả chuyến đi
Trong thời hạn 15 ngày kể từ ngày về nước, trưởng đoàn gửi báo cáo kết quả chuyến công tác về Sở Ngoại vụ và Ủy ban nhân dân tỉnh.
Điều 7. Hiệu lực thi hành
Quy chế này có hiệu lực thi hành từ ngày 01 tháng 4 năm 2026.
"""

HUONG_DAN_HOI_NGHI = """# SỞ NGOẠI VỤ
# HƯỚNG DẪN TỔ CHỨC HỘI NGHỊ, HỘI THẢO QUỐC TẾ TRÊN ĐỊA BÀN TỈNH
Hướng dẫn này thực hiện Quyết định số 06/2026/QĐ-UBND ngày 20 tháng 1 năm 2026 của Ủy ban nhân dân tỉnh.
Điều 1. Thẩm quyền cho phép tổ chức
1. Chủ tịch Ủy ban nhân dân tỉnh cho phép tổ chức hội nghị, hội thảo quốc tế có dưới 50 đại biểu nước ngoài và không có nội dung liên quan đến chủ quyền, biên giới.
2. Hội nghị, hội thảo quốc tế có từ 50 đại biểu nước ngoài trở lên phải được Thủ tướng Chính phủ cho phép.
Điều 2. Thời hạn gửi hồ sơ
Cơ quan tổ chức gửi hồ sơ xin phép đến Sở Ngoại vụ chậm nhất 30 ngày trước ngày khai mạc hội nghị, hội thảo.
Điều 3. Hồ sơ xin phép tổ chức
Hồ sơ xin phép tổ chức hội nghị, hội thảo quốc tế gồm:
a) Văn bản đề nghị của cơ quan tổ chức;
b) Đề án tổ chức, nêu rõ mục đích, nội dung, thời gian, địa điểm;
c) Danh sách dự kiến đại biểu nước ngoài;
d) Nguồn kinh phí tổ chức.
Điều 4. Báo cáo sau hội nghị
Trong thời hạn 10 ngày làm việc kể từ ngày kết thúc hội nghị, hội thảo, cơ quan tổ chức gửi báo cáo kết quả về Sở Ngoại vụ.
Điều 5. Kinh phí hỗ trợ
Mức hỗ trợ tối đa từ ngân sách tỉnh cho một hội nghị, hội thảo quốc tế là 200 triệu đồng.
"""

DOCUMENTS = {"quy-che-doan-ra": QUY_CHE_DOAN_RA, "huong-dan-hoi-nghi": HUONG_DAN_HOI_NGHI}

# (question, document, what the right answer says)
QUESTIONS = [
    ("Hồ sơ đề nghị cử đoàn đi nước ngoài phải gửi Sở Ngoại vụ trước bao nhiêu ngày?", "quy-che-doan-ra", "20 ngày"),
    ("Sở Ngoại vụ thẩm định hồ sơ cử đoàn trong bao nhiêu ngày?", "quy-che-doan-ra", "07 ngày"),
    ("Một đoàn ra được tối đa bao nhiêu thành viên?", "quy-che-doan-ra", "10 thành viên"),
    ("Thời gian công tác của đoàn ra không quá bao nhiêu ngày?", "quy-che-doan-ra", "07 ngày"),
    ("Trưởng đoàn phải gửi báo cáo kết quả chuyến đi trong bao nhiêu ngày sau khi về nước?", "quy-che-doan-ra", "15 ngày"),
    ("Quy chế quản lý đoàn ra có hiệu lực từ ngày nào?", "quy-che-doan-ra", "01 tháng 4 năm 2026"),
    ("Hồ sơ đề nghị cử đoàn gồm những giấy tờ gì?", "quy-che-doan-ra", "Thư mời của đối tác nước ngoài"),
    ("Hồ sơ xin phép tổ chức hội thảo quốc tế phải gửi trước bao nhiêu ngày?", "huong-dan-hoi-nghi", "30 ngày"),
    ("Hội thảo quốc tế có bao nhiêu đại biểu nước ngoài thì phải được Thủ tướng cho phép?", "huong-dan-hoi-nghi", "50 đại biểu"),
    ("Ngân sách tỉnh hỗ trợ tối đa bao nhiêu tiền cho một hội nghị quốc tế?", "huong-dan-hoi-nghi", "200 triệu đồng"),
    ("Hồ sơ xin phép tổ chức hội nghị quốc tế gồm những gì?", "huong-dan-hoi-nghi", "Danh sách dự kiến đại biểu nước ngoài"),
    ("Sau hội nghị quốc tế bao lâu phải gửi báo cáo kết quả?", "huong-dan-hoi-nghi", "10 ngày làm việc"),
]


def as_text(source: str) -> str:
    """The regulation as an officer would type it into a .txt file (no layout marks)."""
    return "\n\n".join(line[2:] if line.startswith("# ") else line for line in source.strip().split("\n"))
