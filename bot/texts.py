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

# Input problems: said plainly, never a traceback.
EMPTY_QUESTION = "Anh/chị chưa nhập câu hỏi. Xin gõ câu hỏi, ví dụ: “{example}”"
NO_WORDS = "Tôi chỉ hiểu câu hỏi viết bằng chữ. Xin gõ câu hỏi, ví dụ: “{example}”"
TOO_LONG = (
    "Câu hỏi quá dài ({length} ký tự; tối đa {limit} ký tự). "
    "Xin anh/chị rút gọn, chỉ giữ phần câu hỏi chính."
)
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
