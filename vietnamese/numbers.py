"""Numbers written out in words. Legal and administrative Vietnamese repeats a figure in words
right after it: "05 (năm) ngày làm việc", "03 (ba) chữ ký mẫu", "01 (một) bản". The words belong
to the figure: what it counts comes after them."""
from __future__ import annotations

import re

NUMBER_WORDS = ("không một mốt hai ba bốn tư năm lăm sáu bảy bẩy tám chín mười mươi trăm nghìn ngàn "
                "triệu tỷ tỉ linh lẻ rưỡi").split()
# "(năm)", "(mười lăm)", "(hai mươi)": a figure's words in brackets, right after it.
SPELLED_AFTER = re.compile(r"\s*\((?:" + "|".join(NUMBER_WORDS) + r")(?:\s+(?:" + "|".join(NUMBER_WORDS) + r"))*\)",
                           re.IGNORECASE)
