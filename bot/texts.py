"""What the bot says, in Vietnamese, as plain text; each channel escapes and formats it."""
from __future__ import annotations

EXAMPLE_QUESTIONS = (
    "Năm 2020 các địa phương ký bao nhiêu thỏa thuận quốc tế?",
    "Hội nghị Ngoại vụ toàn quốc lần thứ 18 có chủ đề gì?",
    "Hội nghị Ngoại vụ toàn quốc lần thứ 21 khai mạc khi nào?",
)

WELCOME = (
    "Xin chào! Tôi là trợ lý tra cứu tài liệu đối ngoại địa phương.\n"
    "Anh/chị hãy gõ câu hỏi, tôi sẽ trả lời dựa trên các tài liệu đang lưu và dẫn nguồn cụ thể. "
    "Nếu tài liệu không có thông tin, tôi sẽ nói rõ là không tìm thấy."
)
EXAMPLES_HEADING = "Ví dụ câu hỏi:"

HELP = (
    "Cách dùng:\n"
    "• Gõ câu hỏi bằng tiếng Việt (có dấu hoặc không dấu).\n"
    "• Có thể hỏi tiếp ngắn gọn, ví dụ “còn năm 2019 thì sao?”, tôi sẽ hiểu theo câu hỏi trước "
    "(ngữ cảnh được giữ trong {ttl_minutes} phút).\n"
    "• Bấm nút “Nguồn [n]” để xem đoạn trích; bấm 👍/👎 để góp ý về câu trả lời.\n"
    "• Trong nhóm: nhắc tên tôi (@{username}), trả lời tin nhắn của tôi, hoặc dùng /hoi <câu hỏi>.\n\n"
    "Lệnh:\n"
    "/start – lời chào và ví dụ câu hỏi\n"
    "/help – hướng dẫn này\n"
    "/tailieu – danh sách tài liệu đang lưu\n"
    "/nguon – nguồn đầy đủ của câu trả lời gần nhất\n"
    "/hoi <câu hỏi> – đặt câu hỏi (dùng trong nhóm)"
)

# Input problems (empty, too long, no words) are worded in retrieval/answering/question.py, for every channel.
NOT_TEXT = "Hiện tôi chỉ đọc được câu hỏi gõ bằng chữ. Xin anh/chị gõ câu hỏi."
HOI_USAGE = "Xin gõ câu hỏi sau lệnh /hoi, ví dụ: /hoi {example}"
RATE_LIMITED = (
    "Anh/chị đang hỏi hơi nhanh. Xin đợi khoảng {seconds} giây rồi hỏi tiếp. Xin cảm ơn!"
)
APOLOGY = "Xin lỗi, đã có lỗi khi xử lý câu hỏi của anh/chị. Xin thử lại sau ít phút."

# Answers.
UNDERSTOOD_AS = "Hiểu câu hỏi là: {question}"
FOLLOW_UP_WITHOUT_CONTEXT = (
    "Câu hỏi này có vẻ hỏi tiếp câu trước, nhưng tôi không còn ngữ cảnh của câu trước. "
    "Xin anh/chị hỏi lại đầy đủ."
)
SOURCES_HEADING = "Nguồn:"
NO_LAST_ANSWER = "Chưa có câu trả lời nào trong cuộc trò chuyện này. Xin đặt một câu hỏi trước."
NO_SOURCES = "Câu trả lời gần nhất (cho câu hỏi “{question}”) không dẫn nguồn nào."
LAST_SOURCES_HEADING = "Nguồn của câu trả lời gần nhất"
DOCUMENTS_HEADING = "Tài liệu đang lưu ({count}):"
NO_DOCUMENTS = "Hiện chưa có tài liệu nào trong kho."

# Buttons and callbacks.
BUTTON_SOURCE = "📄 Nguồn [{n}]"
BUTTON_BACK = "↩️ Quay lại câu trả lời"
BUTTON_UP = "👍"
BUTTON_DOWN = "👎"
QUOTE_HEADING = "Đoạn trích nguồn [{n}]"
THANKS_UP = "Cảm ơn anh/chị đã góp ý 👍"
THANKS_DOWN = "Cảm ơn anh/chị đã góp ý 👎, chúng tôi sẽ cải thiện."
ANSWER_GONE = "Không tìm thấy câu trả lời này nữa. Xin hỏi lại."

# Files sent in chat (Zalo): only admins may add documents.
FILE_NOT_ALLOWED = (
    "Cảm ơn anh/chị đã gửi tệp. Hiện chỉ cán bộ quản trị mới được thêm tài liệu vào kho, "
    "nên tệp này chưa được lưu. Anh/chị vẫn có thể gõ câu hỏi để tra cứu."
)
FILE_MISSING = "Không tìm thấy tệp đính kèm trong tin nhắn. Xin gửi lại tệp."
FILE_TOO_LARGE = "Tệp “{name}” lớn hơn giới hạn {limit} MB nên chưa được lưu."
FILE_DOWNLOAD_FAILED = "Không tải được tệp “{name}”. Xin gửi lại sau ít phút."
FILE_REFUSED = "Chưa thêm được tài liệu: {reason}"
FILE_ADDED = (
    "Đã thêm tài liệu “{title}” ({source}): {chunks} đoạn. "
    "Từ giờ có thể hỏi về nội dung tài liệu này."
)
FILE_REPLACED = (
    "Đã thêm phiên bản {version} của tài liệu “{title}” ({source}): {chunks} đoạn; phiên bản cũ "
    "(mã {replaced}) không còn được dùng để trả lời."
)
FILE_UNCHANGED = "Tài liệu “{title}” ({source}) đã có trong kho, không có gì thay đổi."

# What OCR made of a scan or a photo (every channel's upload report).
OCR_DONE = "🔍 Đã nhận dạng chữ (OCR) {pages}/{total} trang, độ tin cậy trung bình {confidence}%."
OCR_LOW_CONFIDENCE = (
    "⚠️ Độ tin cậy thấp (dưới {threshold}%): chữ có thể bị đọc sai, nên kiểm tra lại nội dung hoặc gửi "
    "bản quét rõ hơn (thẳng trang, đủ sáng, 300 dpi)."
)
OCR_PROGRESS = "⏳ Đang nhận dạng chữ “{name}”: trang {done}/{total}…"
PHOTO_NOT_ADMIN = (
    "Cảm ơn anh/chị đã gửi ảnh. Hiện chỉ quản trị viên mới được thêm tài liệu (kể cả ảnh chụp văn bản) "
    "vào kho, nên ảnh này chưa được lưu. Anh/chị vẫn có thể gõ câu hỏi để tra cứu."
)
PHOTO_RECEIVED = "⏳ Đã nhận {count} ảnh, đang nhận dạng chữ và lập chỉ mục…"

# Document administration (admins only; ids are Telegram user ids in TELEGRAM_ADMIN_IDS).
UPLOAD_NOT_ADMIN = (
    "Xin lỗi, chỉ quản trị viên mới được gửi tài liệu vào kho. "
    "Tệp của anh/chị không được lưu. Anh/chị vẫn có thể gõ câu hỏi như bình thường."
)
ADMIN_ONLY = "Xin lỗi, lệnh này chỉ dành cho quản trị viên."
UPLOAD_TOO_LARGE = "Tệp “{name}” lớn hơn {limit} MB (giới hạn tải tệp của Telegram), nên không nạp được."
UPLOAD_RECEIVED = "⏳ Đã nhận tệp “{name}”, đang đọc và lập chỉ mục…"
UPLOAD_REJECTED = "❌ Không nạp được tệp “{name}”: {reason}"
# A service the knowledge base needs is away (storage.outages.REASONS says which): nothing changed.
UPLOAD_UNAVAILABLE = "{reason}: tài liệu chưa được nạp và kho tài liệu không thay đổi. Xin gửi lại sau ít phút."
DELETE_UNAVAILABLE = "{reason}: tài liệu chưa bị xóa. Xin thử lại sau ít phút."
SERVICE_UNAVAILABLE = "{reason}. Xin thử lại sau ít phút."  # a command (e.g. /tailieu) met the outage
UPLOAD_FAILED = (
    "❌ Không nạp được tệp “{name}” do lỗi hệ thống. Kho tài liệu không thay đổi. Xin thử lại sau."
)
UPLOAD_ADDED = "✅ Đã nạp tài liệu “{title}”"
UPLOAD_REPLACED = "✅ Đã nạp phiên bản {version} của “{title}” (thay phiên bản cũ, mã {replaced})"
UPLOAD_UNCHANGED = "ℹ️ Tài liệu “{title}” (mã {doc_id}) đã có trong kho với nội dung y hệt; không thay đổi gì."
UPLOAD_DETAILS = "Ngày: {date}\nSố đoạn: {chunks}\nMã: {doc_id} · phiên bản {version}"
UPLOAD_NO_DATE = "không rõ"
UPLOAD_SAMPLE = "Có thể hỏi ngay, ví dụ:\n{question}"
UPLOAD_NO_SAMPLE = "Tài liệu đã sẵn sàng để hỏi đáp."
ADMIN_DOCUMENTS_HEADING = "Tài liệu đang dùng ({count}):"
ADMIN_HISTORY_HEADING = "Phiên bản cũ và tài liệu đã xóa ({count}):"
ADMIN_DOCUMENTS_FOOTER = ("Xóa: /xoa MÃ · Thêm: gửi tệp PDF, DOCX, DOC, ODT, XLSX, ODS, TXT, MD, HTML "
                          "hoặc ảnh chụp văn bản vào đây.")
STATUS_SUPERSEDED = "đã thay"
STATUS_DELETED = "đã xóa"
DELETE_USAGE = "Xin ghi mã tài liệu sau lệnh, ví dụ: /xoa {example}\nDanh sách mã: /tailieu"
DELETE_UNKNOWN = "Không có tài liệu đang dùng với mã “{doc_id}”. Danh sách mã: /tailieu"
DELETE_CONFIRM = "Xóa tài liệu “{title}” (mã {doc_id}, {chunks} đoạn)?\nSau khi xóa, tài liệu sẽ không được trích dẫn nữa."
BUTTON_DELETE = "🗑 Xóa"
BUTTON_CANCEL = "Hủy"
DELETE_DONE = "🗑 Đã xóa tài liệu “{title}” (mã {doc_id}). Tài liệu không còn được trích dẫn."
DELETE_CANCELLED = "Đã hủy, tài liệu “{title}” vẫn được giữ."
DELETE_GONE = "Tài liệu mã {doc_id} không còn trong danh sách đang dùng (có thể đã bị xóa hoặc thay)."
ADMIN_HELP = (
    "\n\nQuản trị tài liệu:\n"
    "• Gửi tệp PDF (cả bản quét), DOCX, DOC, ODT, XLSX, ODS, TXT, MD hoặc HTML (tối đa 20 MB) để nạp "
    "vào kho; ghi chú “thay MÃ” để nạp làm phiên bản mới của tài liệu có mã đó.\n"
    "• Gửi ảnh chụp trang văn bản (một ảnh hoặc một album nhiều ảnh = một tài liệu); chú thích của ảnh "
    "là tên tài liệu.\n"
    "/tailieu – danh sách tài liệu kèm mã và lịch sử\n"
    "/xoa MÃ – xóa một tài liệu (có nút xác nhận)\n"
    "/chuatraloi – các câu hỏi tài liệu chưa trả lời được"
)

# What officers asked and the documents could not answer (admins only).
NOW_ANSWERED = "Câu hỏi trước đây chưa trả lời được, nay đã trả lời được ({count}):"
NOW_ANSWERED_MORE = "… và {count} câu khác."
UNANSWERED_HEADING = "Câu hỏi chưa trả lời được ({count}), hỏi nhiều nhất trước:"
UNANSWERED_LINE = "{n}. {question} — {count} lần, gần nhất {last}"
UNANSWERED_NONE = "Hiện không có câu hỏi nào chưa trả lời được."
UNANSWERED_FOOTER = "Gửi tài liệu có câu trả lời: các câu hỏi sẽ được hỏi lại tự động."

# Under a procedure answer in Zalo (no buttons there): the other fields, by number.
PROCEDURE_FOLLOW_UPS = "Hỏi tiếp về thủ tục này, gửi số: {options}"
