// The local chat page: posts activities to /api/messages with deliveryMode "expectReplies"
// and renders the replies, Adaptive Cards with Microsoft's renderer. Card buttons send their
// data as the message's `value`, the way Teams sends an Action.Submit.
(function () {
  "use strict";

  const log = document.getElementById("log");
  const form = document.getElementById("composer");
  const input = document.getElementById("say");
  const sendButton = document.getElementById("send");

  if (!window.AdaptiveCards) {
    const note = document.createElement("div");
    note.className = "msg error";
    note.textContent = "The card renderer is missing: run `npm ci` in the project (make run does), then reload.";
    log.appendChild(note);
    return;
  }

  function newId() {
    if (window.crypto && window.crypto.randomUUID) return window.crypto.randomUUID();
    return "id-" + Date.now().toString(36) + "-" + Math.random().toString(36).slice(2);
  }

  // A stable, random identity for this browser: the bot keys progress by it, so a paused
  // survey resumes after a reload. Nothing about the person is sent.
  let userId = window.localStorage.getItem("safeguarding-bot-user");
  if (!userId) {
    userId = newId();
    window.localStorage.setItem("safeguarding-bot-user", userId);
  }

  const hostConfig = new AdaptiveCards.HostConfig({
    fontFamily: "Segoe UI, system-ui, -apple-system, Roboto, Arial, sans-serif",
    actions: {
      maxActions: 6,
      actionsOrientation: "horizontal",
      actionAlignment: "stretch",
      buttonSpacing: 8,
      allowTitleToWrap: true, // long topic titles stay readable on a phone
    },
  });

  // The little Markdown the guidance uses (bold, line breaks, links), as Teams renders it in a TextBlock.
  function escapeHtml(text) {
    return text.replace(/[&<>"']/g, (c) => ({ "&": "&amp;", "<": "&lt;", ">": "&gt;", '"': "&quot;", "'": "&#39;" })[c]);
  }
  AdaptiveCards.AdaptiveCard.onProcessMarkdown = function (text, result) {
    result.outputHtml = escapeHtml(text)
      .replace(/\*\*(.+?)\*\*/g, "<strong>$1</strong>")
      .replace(/(https?:\/\/[^\s<)]+[^\s<).,;:])/g, '<a href="$1" target="_blank" rel="noopener">$1</a>')
      .replace(/\n/g, "<br>");
    result.didProcess = true;
  };

  function baseActivity(extra) {
    return Object.assign(
      {
        id: newId(),
        timestamp: new Date().toISOString(),
        channelId: "webchat",
        serviceUrl: window.location.origin + "/",
        from: { id: "webchat:" + userId, name: "You" },
        recipient: { id: "safeguarding-bot", name: "Safeguarding bot" },
        conversation: { id: "webchat:" + userId, conversationType: "personal" },
        deliveryMode: "expectReplies",
        locale: navigator.language || "en-GB",
      },
      extra
    );
  }

  function scrollDown() {
    log.scrollTop = log.scrollHeight;
  }

  // Bring a message's top to the top of the conversation (it may be taller than the screen).
  function scrollToTop(element) {
    log.scrollTop += element.getBoundingClientRect().top - log.getBoundingClientRect().top;
  }

  function bubble(cls, text) {
    const div = document.createElement("div");
    div.className = "msg " + cls;
    div.textContent = text;
    log.appendChild(div);
    scrollDown();
    return div;
  }

  function renderCard(content, replyToId) {
    const card = new AdaptiveCards.AdaptiveCard();
    card.hostConfig = hostConfig;
    card.onExecuteAction = function (action) {
      if (action instanceof AdaptiveCards.OpenUrlAction) {
        window.open(action.url, "_blank", "noopener");
      } else if (action instanceof AdaptiveCards.SubmitAction) {
        // action.data already holds the card's input values merged into the button's data.
        post(baseActivity({ type: "message", value: action.data, replyToId: replyToId }));
      }
    };
    card.parse(content);
    return card.render();
  }

  function fill(element, activity) {
    element.replaceChildren();
    const cards = (activity.attachments || []).filter(
      (a) => a.contentType === "application/vnd.microsoft.card.adaptive"
    );
    if (activity.text) {
      const p = document.createElement("div");
      p.textContent = activity.text;
      element.appendChild(p);
    }
    cards.forEach((a) => element.appendChild(renderCard(a.content, activity.id)));
    element.classList.toggle("card", cards.length > 0 && !activity.text);
  }

  // Shows one reply; returns its new element (none for an update or another kind of activity).
  function show(activity) {
    if (activity.type === "messageUpdate") {
      const old = log.querySelector('[data-activity-id="' + CSS.escape(activity.id || "") + '"]');
      if (old) fill(old, activity);
      return null;
    }
    if (activity.type !== "message") return null;
    const div = document.createElement("div");
    div.className = "msg bot";
    if (activity.id) div.dataset.activityId = activity.id;
    // The bot marks danger and support messages important: they must be what the person sees.
    if (activity.importance === "high") div.classList.add("urgent");
    fill(div, activity);
    log.appendChild(div);
    return div;
  }

  // One request at a time, in order: the bot answers turns in the order they were sent.
  let queue = Promise.resolve();

  function post(activity) {
    queue = queue.then(async function () {
      sendButton.disabled = true;
      const typing = bubble("bot typing", "…");
      try {
        const response = await fetch("/api/messages", {
          method: "POST",
          headers: { "Content-Type": "application/json" },
          body: JSON.stringify(activity),
        });
        typing.remove();
        if (!response.ok) {
          bubble("error", "Sorry, the bot could not answer just now (" + response.status + "). Please try again.");
          return;
        }
        const body = await response.json();
        const shown = (body.activities || []).map(show);
        // Usually the newest message; but after "call 999" the questionnaire is asked again
        // below it, and on a phone that would push the danger guidance off the screen.
        const urgent = shown.find((div) => div && div.classList.contains("urgent"));
        if (urgent) scrollToTop(urgent);
        else scrollDown();
      } catch (err) {
        typing.remove();
        bubble("error", "Sorry, the bot could not be reached. Is it still running?");
      } finally {
        sendButton.disabled = false;
      }
    });
    return queue;
  }

  form.addEventListener("submit", function (event) {
    event.preventDefault();
    const text = input.value.trim();
    if (!text) return;
    input.value = "";
    bubble("me", text);
    post(baseActivity({ type: "message", text: text, textFormat: "plain" }));
    input.focus();
  });

  // Opening the page is like installing the app: the bot greets and says what it can do.
  post(
    baseActivity({
      type: "conversationUpdate",
      membersAdded: [{ id: "safeguarding-bot", name: "Safeguarding bot" }],
    })
  );
})();
