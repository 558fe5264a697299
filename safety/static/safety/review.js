// The review page and queue: keyboard shortcuts, seeking the render to an
// issue, showing the reasons of the chosen decision, and renewing the lease.
(function () {
  "use strict";

  function typing(target) {
    return target && (target.isContentEditable || ["INPUT", "TEXTAREA", "SELECT"].includes(target.tagName));
  }

  function choose(decision) {
    const radio = document.querySelector(`#decision-form input[name=decision][value=${decision}]`);
    if (!radio) return;
    radio.checked = true;
    radio.dispatchEvent(new Event("change", { bubbles: true }));
  }

  function showReasons() {
    const form = document.getElementById("decision-form");
    if (!form) return;
    const chosen = form.querySelector("input[name=decision]:checked");
    form.querySelectorAll("p.reason").forEach((row) => {
      const active = chosen && row.dataset.kind === chosen.value;
      row.hidden = !active;
      const select = row.querySelector("select");
      select.disabled = !active;
      select.required = active;
    });
    const noteRequired = chosen && chosen.value !== "approve";
    form.querySelector("#note").required = !!noteRequired;
    form.querySelector(".note-required").hidden = !noteRequired;
    if (chosen) {
      const select = form.querySelector(`#reason-${chosen.value}`);
      if (select) select.focus();
    }
  }

  function seek(button) {
    const kind = button.dataset.artifact;
    const media = document.querySelector(`#review-media .media-${kind} video, #review-media .media-${kind} audio`)
      || document.querySelector("#review-media video");
    if (!media) return;
    media.currentTime = parseFloat(button.dataset.start);
    media.scrollIntoView({ block: "nearest" });
    media.play().catch(() => {});
  }

  function renewLease(review) {
    const seconds = parseInt(review.dataset.renewSeconds, 10) || 60;
    const token = document.querySelector("[name=csrfmiddlewaretoken]");
    const timer = setInterval(async () => {
      const response = await fetch(review.dataset.renewUrl, {
        method: "POST",
        headers: { "X-CSRFToken": token ? token.value : "" },
        credentials: "same-origin",
      }).catch(() => null);
      if (!response) return;
      const lost = document.getElementById("lease-lost");
      if (response.ok) {
        const data = await response.json();
        const until = document.getElementById("lease-until");
        if (until) until.textContent = new Date(data.expires_at).toTimeString().slice(0, 5);
      } else if (response.status === 409 || response.status === 403) {
        const data = await response.json().catch(() => ({}));
        lost.textContent = (data.error || "You no longer hold this report.") + " Your decision would be refused; press n for the next report.";
        lost.hidden = false;
        clearInterval(timer);
      }
    }, seconds * 1000);
  }

  document.addEventListener("DOMContentLoaded", () => {
    const review = document.getElementById("review");
    if (review && review.dataset.holds === "true") renewLease(review);
    document.querySelectorAll("#decision-form input[name=decision]").forEach((radio) =>
      radio.addEventListener("change", showReasons));
    document.querySelectorAll("button.seek").forEach((button) =>
      button.addEventListener("click", () => seek(button)));
  });

  document.addEventListener("keydown", (event) => {
    const help = document.getElementById("shortcut-help");
    if (event.key === "Escape") {
      if (help) help.hidden = true;
      if (typing(event.target)) event.target.blur();
      return;
    }
    if (typing(event.target) || event.ctrlKey || event.metaKey || event.altKey) return;
    const actions = {
      a: () => choose("approve"),
      r: () => choose("reject"),
      e: () => choose("escalate"),
      n: () => {
        const next = document.getElementById("review-next-form");
        if (next) next.submit();
      },
      "?": () => { if (help) help.hidden = !help.hidden; },
    };
    const action = actions[event.key];
    if (action) {
      event.preventDefault();
      action();
    }
  });
})();
