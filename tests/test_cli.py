"""The `ngoaivu` command driven as a user drives it, in fresh processes."""
import json

from tests.conftest import run_cli

NEW_GUIDANCE = """Hướng dẫn đón tiếp đoàn khách quốc tế năm 2031

Theo Hướng dẫn số 77-HD/SNgV ngày 14/2/2031, mỗi đoàn khách quốc tế cấp bộ trưởng được bố trí 3 cán bộ lễ tân.
Sở Ngoại vụ tỉnh Lạng Sơn là đầu mối tiếp nhận hồ sơ đoàn vào trong thời hạn 10 ngày làm việc.
"""


def test_ask_prints_answer_and_sources(seed_data_dir):
    result = run_cli("ask", "quy che 272 ban hanh ngay nao", data_dir=seed_data_dir)
    assert result.returncode == 0, result.stderr
    assert "272" in result.stdout and "Nguồn:" in result.stdout
    assert "000_0ddbb26273df8b98.txt" in result.stdout


def test_ask_json_reads_stdin_one_question_per_line(seed_data_dir):
    questions = "Năm 2020 các địa phương ký bao nhiêu thỏa thuận quốc tế?\n\n" + "x" * 10_000 + "\n😀\nWho won the 2022 FIFA World Cup?\n"
    result = run_cli("ask", "--json", data_dir=seed_data_dir, stdin=questions)
    assert result.returncode == 0 and "Traceback" not in result.stderr
    answers = [json.loads(line) for line in result.stdout.splitlines()]
    assert len(answers) == 5
    first = answers[0]
    assert set(first) >= {"answer", "refused", "citations", "latency_ms"}
    assert not first["refused"] and "119" in first["answer"]
    assert set(first["citations"][0]) >= {"n", "source", "title", "publisher", "date", "quote"}
    assert [a["refused"] for a in answers[1:]] == [True, True, True, True]
    assert "10.000" in answers[2]["answer"]


def test_ingest_then_answer_then_remove(fresh_data_dir, tmp_path):
    guidance = tmp_path / "huong-dan-don-doan.txt"
    guidance.write_text(NEW_GUIDANCE, encoding="utf-8")
    question = "Mỗi đoàn khách quốc tế cấp bộ trưởng được bố trí bao nhiêu cán bộ lễ tân?"
    before = json.loads(run_cli("ask", "--json", question, data_dir=fresh_data_dir).stdout)
    assert before["refused"]

    added = run_cli("ingest", str(guidance), data_dir=fresh_data_dir)
    assert added.returncode == 0, added.stderr
    assert "✓ huong-dan-don-doan.txt" in added.stdout
    answer = json.loads(run_cli("ask", "--json", question, data_dir=fresh_data_dir).stdout)
    assert not answer["refused"] and "3 cán bộ" in answer["answer"]
    assert answer["citations"][0]["source"] == "huong-dan-don-doan.txt"

    again = run_cli("ingest", str(guidance), data_dir=fresh_data_dir)
    assert "không thay đổi" in again.stdout

    docs = json.loads(run_cli("docs", "--json", data_dir=fresh_data_dir).stdout)
    doc_id = next(d["doc_id"] for d in docs if d["source"] == "huong-dan-don-doan.txt")
    assert run_cli("remove", doc_id, data_dir=fresh_data_dir).returncode == 0
    after = json.loads(run_cli("ask", "--json", question, data_dir=fresh_data_dir).stdout)
    assert after["refused"] and not any(c["source"] == "huong-dan-don-doan.txt" for c in after["citations"])
    assert run_cli("remove", doc_id, data_dir=fresh_data_dir).returncode == 1


def test_bad_files_are_refused_and_change_nothing(fresh_data_dir, tmp_path):
    before = run_cli("docs", "--json", data_dir=fresh_data_dir).stdout
    empty = tmp_path / "empty.txt"
    empty.write_bytes(b"")
    corrupt = tmp_path / "broken.pdf"
    corrupt.write_bytes(b"%PDF-1.7\n%\xe2\xe3\n1 0 obj <<<< broken")
    binary = tmp_path / "photo.jpg"
    binary.write_bytes(b"\xff\xd8\xff\xe0" + bytes(range(256)) * 40)
    result = run_cli("ingest", str(empty), str(corrupt), str(binary), data_dir=fresh_data_dir)
    assert result.returncode == 1 and "Traceback" not in result.stderr
    assert "empty.txt: Tệp “empty.txt” trống" in result.stderr
    assert "broken.pdf: Tệp PDF bị hỏng" in result.stderr
    assert "photo.jpg" in result.stderr
    assert run_cli("docs", "--json", data_dir=fresh_data_dir).stdout == before


def test_docs_lists_the_seeds(seed_data_dir):
    result = run_cli("docs", data_dir=seed_data_dir)
    assert result.returncode == 0
    assert result.stdout.count("\n") == 5 and "001_77e8788b0c305808.txt" in result.stdout


def test_eval_command_scores_like_the_shared_scorer(seed_data_dir):
    from tests.conftest import SHARED_EVAL

    if not SHARED_EVAL.exists():
        return
    result = run_cli("eval", str(SHARED_EVAL), data_dir=seed_data_dir)
    assert result.returncode == 0
    score = result.stdout.strip().splitlines()[-1]
    right = int(score.split()[1].split("/")[0])
    assert right >= 29, result.stdout


HA_GIANG = """Hướng dẫn

Theo hướng dẫn của Sở Ngoại vụ tỉnh Hà Giang, mỗi đoàn khách quốc tế được bố trí {cars} xe đưa đón.
"""
CAO_BANG = """Hướng dẫn

Theo hướng dẫn của Sở Ngoại vụ tỉnh Cao Bằng, hồ sơ xin phép tổ chức hội nghị quốc tế nộp trước 25 ngày làm việc.
"""
LAO_CAI_MD = """---
title: Hướng dẫn
date: 2031-03-14
---

# Hướng dẫn

Sở Ngoại vụ tỉnh Lào Cai tiếp nhận đăng ký đoàn phóng viên nước ngoài trước 7 ngày làm việc.
"""
YEN_BAI_MD = """# Hướng dẫn

## Đón tiếp

Sở Ngoại vụ tỉnh Yên Bái bố trí 4 cán bộ lễ tân cho mỗi đoàn khách cấp bộ trưởng.
"""
LAO_CAI_QUESTION = "Sở Ngoại vụ tỉnh Lào Cai tiếp nhận đăng ký đoàn phóng viên nước ngoài trước bao nhiêu ngày làm việc?"
YEN_BAI_QUESTION = "Sở Ngoại vụ tỉnh Yên Bái bố trí bao nhiêu cán bộ lễ tân cho mỗi đoàn khách cấp bộ trưởng?"
HA_GIANG_QUESTION = "Mỗi đoàn khách quốc tế ở Hà Giang được bố trí bao nhiêu xe đưa đón?"
CAO_BANG_QUESTION = "Ở Cao Bằng hồ sơ xin phép tổ chức hội nghị quốc tế nộp trước bao nhiêu ngày làm việc?"


def _ask_json(data_dir, *questions: str) -> list[dict]:
    result = run_cli("ask", "--json", data_dir=data_dir, stdin="\n".join(questions) + "\n")
    assert result.returncode == 0, result.stderr
    return [json.loads(line) for line in result.stdout.splitlines()]


def test_a_folder_is_reported_file_by_file_and_equal_titles_never_replace(fresh_data_dir, tmp_path):
    folder = tmp_path / "van-ban"
    (folder / "cu").mkdir(parents=True)
    (folder / "ha-giang.txt").write_text(HA_GIANG.format(cars=3), encoding="utf-8")
    (folder / "cao-bang.txt").write_text(CAO_BANG, encoding="utf-8")  # the same first line: the same guessed title
    (folder / "lao-cai.md").write_text(LAO_CAI_MD, encoding="utf-8")  # front-matter title: the same
    (folder / "yen-bai.md").write_text(YEN_BAI_MD, encoding="utf-8")  # first heading: the same
    (folder / "so-lieu.csv").write_text("tinh,so doan\nHa Giang,64\nCao Bang,12\n", encoding="utf-8")
    (folder / "cu" / "ha-giang.txt").write_text(HA_GIANG.format(cars=9), encoding="utf-8")

    result = run_cli("ingest", str(folder), data_dir=fresh_data_dir)
    assert result.returncode == 1 and "Traceback" not in result.stderr
    assert "✓ ha-giang.txt: đã thêm “Hướng dẫn”" in result.stdout
    assert "✓ cao-bang.txt: đã thêm “Hướng dẫn”" in result.stdout
    assert "✗ so-lieu.csv: Định dạng .csv chưa được hỗ trợ" in result.stderr
    assert f"✗ {folder / 'cu' / 'ha-giang.txt'}: trùng tên với {folder / 'ha-giang.txt'}" in result.stderr
    assert result.stdout.strip().splitlines()[-1] == \
        "Tổng cộng 6 tệp: 4 thêm mới, 0 phiên bản mới, 0 không đổi, 2 bị từ chối."
    live = json.loads(run_cli("docs", "--json", data_dir=fresh_data_dir).stdout)
    ours = {d["source"]: d for d in live if d["source"] in {"ha-giang.txt", "cao-bang.txt", "lao-cai.md", "yen-bai.md"}}
    assert len(ours) == 4 and {d["title"] for d in ours.values()} == {"Hướng dẫn"}  # no "#", no "---"
    assert ours["lao-cai.md"]["date"] == "14/03/2031"
    first = next(d for d in live if d["source"] == "ha-giang.txt")
    assert {"ha-giang.txt", "cao-bang.txt"} <= {d["source"] for d in live}
    assert "so-lieu.csv" not in {d["source"] for d in live}
    ha_giang, cao_bang, lao_cai, yen_bai = _ask_json(fresh_data_dir, HA_GIANG_QUESTION, CAO_BANG_QUESTION,
                                                     LAO_CAI_QUESTION, YEN_BAI_QUESTION)
    assert "3 xe" in ha_giang["answer"] and "25 ngày" in cao_bang["answer"]
    assert "7 ngày" in lao_cai["answer"] and lao_cai["citations"][0]["source"] == "lao-cai.md"
    assert "4 cán bộ" in yen_bai["answer"] and yen_bai["citations"][0]["source"] == "yen-bai.md"

    # The same file name again, changed: version 2, and the report says which version it replaced.
    (folder / "ha-giang.txt").write_text(HA_GIANG.format(cars=5), encoding="utf-8")
    for gone in ("so-lieu.csv", "cu/ha-giang.txt", "lao-cai.md", "yen-bai.md"):
        (folder / gone).unlink()
    again = run_cli("ingest", str(folder), data_dir=fresh_data_dir)
    assert again.returncode == 0, again.stderr
    assert "↻ ha-giang.txt: phiên bản 2 của “Hướng dẫn”" in again.stdout
    assert f"thay phiên bản 1 (mã {first['doc_id']})" in again.stdout
    assert "= cao-bang.txt: nội dung đã có" in again.stdout
    assert again.stdout.strip().splitlines()[-1] == \
        "Tổng cộng 2 tệp: 0 thêm mới, 1 phiên bản mới, 1 không đổi, 0 bị từ chối."
    answer, cao_bang = _ask_json(fresh_data_dir, HA_GIANG_QUESTION, CAO_BANG_QUESTION)
    assert "5 xe" in answer["answer"] and "3 xe" not in answer["answer"]
    assert first["doc_id"] not in {c["doc_id"] for c in answer["citations"]}
    assert "25 ngày" in cao_bang["answer"]


def test_replaces_is_for_one_file_only(fresh_data_dir, tmp_path):
    for name in ("a.txt", "b.txt"):
        (tmp_path / name).write_text(CAO_BANG, encoding="utf-8")
    result = run_cli("ingest", "--replaces", "0123456789ab", str(tmp_path / "a.txt"), str(tmp_path / "b.txt"),
                     data_dir=fresh_data_dir)
    assert result.returncode == 2 and "--replaces chỉ dùng khi nạp một tệp" in result.stderr
