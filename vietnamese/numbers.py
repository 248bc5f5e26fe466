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

# "tỷ" is a figure's "billion" after a figure or a count word ("700 tỷ USD", "hàng tỷ"); heading
# "tỷ giá" (exchange rate), "tỷ lệ" (ratio), "tỷ trọng" (share), "tỷ suất" (rate), "tỷ số" (score) it
# is another word, so a question on the exchange rate is not about billions. Folded text.
RATIO_COMPOUND = re.compile(r"(?<![\d.,])(?<![\d.,]\s)\b(?:ty|ti) (?:gia|le|trong|suat|so)\b")
# A question asking for a ratio or a share is answered by a percentage, not an amount of money
# ("tỷ lệ giải ngân vốn", "bao nhiêu phần trăm ngân sách"). Folded text.
ASKS_RATIO = re.compile(r"\b(?:ty le|ti le|ty trong|ti trong|phan tram)\b|%")
