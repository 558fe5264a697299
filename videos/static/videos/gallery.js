// The artifact gallery is sent without asking S3: a card this server's cache
// could not tell about says "checking" (data-file-state). Once the page is
// shown, ask the server what S3 holds for those cards, all in one request
// (videos.admin.gallery_files_page), and show it: size and type, a file that is
// missing, a script's start, or a warning when S3 did not answer.
(function () {
  "use strict";

  const STORAGE_WARNING = " Sizes, types and previews may be missing.";

  function warn(grid, message) {
    if (document.getElementById("storage-warning")) return;
    const list = document.createElement("ul");
    list.className = "messagelist";
    const item = document.createElement("li");
    item.className = "warning";
    item.id = "storage-warning";
    item.textContent = message + STORAGE_WARNING;
    list.append(item);
    grid.before(list);
  }

  function show(grid, answer) {
    for (const file of answer.files) {
      const card = grid.querySelector(`.artifact-card[data-artifact="${file.id}"]`);
      if (!card) continue;
      // Fragments rendered by the server's own templates (escaped there).
      card.querySelector(".artifact-card-file").outerHTML = file.file;
      if (file.preview !== null) card.querySelector(".artifact-preview").outerHTML = file.preview;
      card.dataset.fileState = file.state;
    }
    if (answer.warning) warn(grid, answer.warning);
  }

  function fail(grid, cards, reason) {
    for (const card of cards) {
      card.querySelector(".artifact-card-file").textContent = "Size and type unknown";
      card.dataset.fileState = "unknown";
    }
    warn(grid, `The server could not say what S3 holds for these files (${reason}).`);
  }

  function check() {
    const grid = document.getElementById("artifact-grid");
    if (!grid) return;
    const cards = [...grid.querySelectorAll('.artifact-card[data-file-state="checking"]')];
    if (!cards.length) return;
    const url = new URL(grid.dataset.filesUrl, window.location.href);
    for (const card of cards) url.searchParams.append("id", card.dataset.artifact);
    fetch(url, { credentials: "same-origin", headers: { Accept: "application/json" } })
      .then((response) => {
        if (!response.ok) throw new Error(`it answered ${response.status}`);
        return response.json();
      })
      .then((answer) => show(grid, answer))
      .catch((error) => fail(grid, cards, error.message));
  }

  if (document.readyState === "loading") {
    document.addEventListener("DOMContentLoaded", check);
  } else {
    check();
  }
})();
