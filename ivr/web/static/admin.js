// The admin pages work without this file; it only helps: a problem's line is selected in the text when the
// problem is clicked (or chosen with Enter), and a recording over the size limit is refused before upload.
"use strict";

function selectLine(textarea, line) {
  const lines = textarea.value.split("\n");
  const target = Math.min(Math.max(line, 1), lines.length);
  let start = 0;
  for (let i = 0; i < target - 1; i += 1) {
    start += lines[i].length + 1;
  }
  textarea.focus();
  textarea.setSelectionRange(start, start + lines[target - 1].length);
  // Scroll the chosen line into view: a line's height is the textarea's line height.
  const lineHeight = parseFloat(getComputedStyle(textarea).lineHeight) || 18;
  textarea.scrollTop = Math.max(0, (target - 3) * lineHeight);
}

function linkProblems() {
  const textarea = document.getElementById("tekst");
  if (!textarea) {
    return;
  }
  for (const item of document.querySelectorAll("#problemen li[data-line]")) {
    item.tabIndex = 0;
    item.title = "Ga naar deze regel";
    const go = () => selectLine(textarea, Number(item.dataset.line));
    item.addEventListener("click", go);
    item.addEventListener("keydown", (event) => {
      if (event.key === "Enter") {
        go();
      }
    });
  }
}

function limitUploads() {
  for (const input of document.querySelectorAll("input[type=file][data-max-bytes]")) {
    const limit = Number(input.dataset.maxBytes);
    input.addEventListener("change", () => {
      const file = input.files && input.files[0];
      const tooBig = file && file.size > limit;
      input.setCustomValidity(
        tooBig ? `Dit bestand is groter dan ${Math.round(limit / 1048576)} MB.` : "",
      );
      input.reportValidity();
    });
  }
}

document.addEventListener("DOMContentLoaded", () => {
  linkProblems();
  limitUploads();
});
