"use strict";
const KEY = "ngoaivu-admin-token";
const API = "__API__";
const FRAGMENT = "__FRAGMENT__";
const QUESTIONS = "__QUESTIONS__";
const $ = (id) => document.getElementById(id);
const token = () => sessionStorage.getItem(KEY) || "";
const auth = () => ({"Authorization": "Bearer " + token(), "__CLIENT_HEADER__": "admin-page"});

function say(id, text, kind) {
  const el = $(id);
  el.textContent = text;
  el.className = kind || "";
  el.hidden = !text;
}

function detail(body, fallback) {
  if (body && typeof body.detail === "string") return body.detail;
  if (body && Array.isArray(body.detail)) return body.detail.map((e) => e.msg).join("; ");
  return fallback;
}

function showApp(on) {
  $("login").hidden = on;
  $("app").hidden = !on;
  $("logout").hidden = !on;
}

async function loadDocuments() {
  const response = await fetch(FRAGMENT, {headers: auth(), cache: "no-store"});
  if (response.status === 401) {
    sessionStorage.removeItem(KEY);
    showApp(false);
    say("login-error", "Mã quản trị không đúng hoặc API quản trị đang tắt.", "error");
    return false;
  }
  if (!response.ok) {
    say("app-error", "Không tải được danh sách tài liệu (lỗi " + response.status + ").", "error");
    return false;
  }
  $("documents").innerHTML = await response.text();  // rendered and escaped by the server
  await loadQuestions();
  return true;
}

async function loadQuestions() {
  const response = await fetch(QUESTIONS, {headers: auth(), cache: "no-store"});
  if (!response.ok) {
    say("app-error", "Không tải được danh sách câu hỏi chưa trả lời (lỗi " + response.status + ").", "error");
    return;
  }
  $("questions").innerHTML = await response.text();  // rendered and escaped by the server
}

function showNowAnswered(questions) {
  const list = $("now-answered");
  list.textContent = "";
  for (const question of questions || []) {
    const item = document.createElement("li");
    item.textContent = question;
    list.appendChild(item);
  }
  $("now-answered-box").hidden = !(questions && questions.length);
}

$("login-form").addEventListener("submit", async (event) => {
  event.preventDefault();
  sessionStorage.setItem(KEY, $("token").value.trim());
  $("token").value = "";
  say("login-error", "");
  if (await loadDocuments()) showApp(true);
});

$("logout").addEventListener("click", () => {
  sessionStorage.removeItem(KEY);
  $("documents").textContent = "";
  $("questions").textContent = "";
  showNowAnswered([]);
  showApp(false);
});

$("upload-form").addEventListener("submit", (event) => {
  event.preventDefault();
  const form = event.target;
  const file = $("file").files[0];
  if (!file) { say("upload-status", "Xin chọn một tệp.", "error"); return; }
  if (file.size > __MAX_BYTES__) { say("upload-status", "Tệp lớn hơn __MAX_MB__ MB.", "error"); return; }
  const bar = $("upload-progress");
  bar.value = 0;
  bar.hidden = false;
  $("upload-button").disabled = true;
  say("upload-status", "Đang tải lên “" + file.name + "”…");
  const xhr = new XMLHttpRequest();
  xhr.open("POST", API + "/documents");
  for (const [name, value] of Object.entries(auth())) xhr.setRequestHeader(name, value);
  xhr.upload.addEventListener("progress", (e) => {
    if (e.lengthComputable) bar.value = Math.round(100 * e.loaded / e.total);
    $("upload-percent").textContent = bar.value + "%";
  });
  xhr.upload.addEventListener("load", () => {
    bar.value = 100;
    $("upload-percent").textContent = "100%";
    say("upload-status", "Đã tải lên, đang đọc (bản quét: nhận dạng chữ, vài giây mỗi trang) và lập chỉ mục…");
  });
  xhr.addEventListener("load", async () => {
    $("upload-button").disabled = false;
    let body = null;
    try { body = JSON.parse(xhr.responseText); } catch (e) { body = null; }
    if (xhr.status === 201 || xhr.status === 200) {
      bar.value = 100;
      let text;
      if (body.result === "unchanged") {
        text = "Tài liệu “" + body.title + "” (mã " + body.doc_id + ") đã có với nội dung y hệt; không thay đổi gì.";
      } else {
        text = "Đã nạp “" + body.title + "” (mã " + body.doc_id + ", phiên bản " + body.version + ", " +
               body.chunks + " đoạn" + (body.replaced ? ", thay mã " + body.replaced : "") + ").";
        if (body.reading && body.reading.note) text += " " + body.reading.note;
        if (body.sample_question) text += " Có thể hỏi: " + body.sample_question;
      }
      say("upload-status", text, "ok");
      showNowAnswered(body.now_answered);
      form.reset();
      await loadDocuments();
    } else if (xhr.status === 401) {
      await loadDocuments();
    } else {
      say("upload-status", "Không nạp được: " + detail(body, "lỗi " + xhr.status), "error");
    }
  });
  xhr.addEventListener("error", () => {
    $("upload-button").disabled = false;
    say("upload-status", "Mất kết nối khi tải lên. Xin thử lại.", "error");
  });
  xhr.send(new FormData(form));
});

$("documents").addEventListener("click", async (event) => {
  const button = event.target.closest("button.delete");
  if (!button) return;
  const id = button.dataset.docId;
  if (!confirm("Xóa tài liệu “" + button.dataset.title + "” (mã " + id + ")? Tài liệu sẽ không được trích dẫn nữa.")) return;
  const response = await fetch(API + "/documents/" + encodeURIComponent(id), {method: "DELETE", headers: auth()});
  let body = null;
  try { body = await response.json(); } catch (e) { body = null; }
  if (response.ok) say("upload-status", "Đã xóa “" + button.dataset.title + "” (mã " + id + ").", "ok");
  else say("upload-status", "Không xóa được: " + detail(body, "lỗi " + response.status), "error");
  await loadDocuments();
});

$("questions").addEventListener("click", async (event) => {
  const button = event.target.closest("button.ask-again");
  if (!button) return;
  button.disabled = true;
  const question = button.dataset.question;
  const response = await fetch(API + "/unanswered/ask", {
    method: "POST", headers: {...auth(), "Content-Type": "application/json"},
    body: JSON.stringify({question: question}),
  });
  let body = null;
  try { body = await response.json(); } catch (e) { body = null; }
  if (response.ok && body.now_answered) {
    await loadQuestions();
    say("ask-result", "Nay đã trả lời được “" + question + "”: " + body.answer, "ok");
  } else if (response.ok) {
    button.disabled = false;
    say("ask-result", "“" + question + "” vẫn chưa trả lời được từ các tài liệu hiện có.", "error");
  } else {
    button.disabled = false;
    say("ask-result", "Không hỏi lại được: " + detail(body, "lỗi " + response.status), "error");
  }
});

if (token()) loadDocuments().then((ok) => showApp(ok));
