/**
 * DOM builders for the popup's lists: matching logins, search results and
 * crypto-wallet cards. They only build elements; popup.js wires the actions
 * through the callbacks it passes in. Every control carries a data-testid.
 */
(function () {
  "use strict";

  // Characters shown large at each end of an address, for checking it against
  // the one a site or a hardware wallet shows.
  const ADDRESS_CHECK_CHARS = 6;

  function element(tag, properties = {}, children = []) {
    const node = document.createElement(tag);
    const { testid, dataset, ...rest } = properties;
    Object.assign(node, rest);
    if (testid) {
      node.dataset.testid = testid;
    }
    Object.assign(node.dataset, dataset || {});
    node.append(...children);
    return node;
  }

  function toolButton(testid, label, entryId, onClick) {
    const button = element("button", { type: "button", className: "tool", testid, textContent: label, dataset: { entryId } });
    button.addEventListener("click", () => onClick(button));
    return button;
  }

  /** A matching login: the main button fills, the small ones copy. */
  function renderLogin(entry, actions) {
    const match = element("span", { className: "entry-match", textContent: entry.match === "exact" ? "this site" : "same domain" });
    const title = element("span", { className: "entry-title", textContent: entry.title || "(untitled)" });
    const username = element("span", { className: "entry-username", textContent: entry.username || "" });
    const fill = element("button", { type: "button", className: "entry-fill", testid: "entry", dataset: { entryId: entry.id } }, [match, title, username]);
    fill.addEventListener("click", () => actions.fill(entry.id, fill));

    const tools = element("div", { className: "tools" }, [
      toolButton("copy-username", "Copy user", entry.id, (button) => actions.copy(entry.id, "username", button)),
      toolButton("copy-password", "Copy password", entry.id, (button) => actions.copy(entry.id, "password", button)),
      toolButton("copy-totp", "Copy code", entry.id, (button) => actions.copy(entry.id, "totp", button)),
    ]);
    return element("li", {}, [fill, tools]);
  }

  /** Split an address into its checked start, middle and checked end. */
  function addressParts(address) {
    if (address.length <= ADDRESS_CHECK_CHARS * 2) {
      return { start: address, middle: "", end: "" };
    }
    return {
      start: address.slice(0, ADDRESS_CHECK_CHARS),
      middle: address.slice(ADDRESS_CHECK_CHARS, -ADDRESS_CHECK_CHARS),
      end: address.slice(-ADDRESS_CHECK_CHARS),
    };
  }

  /** Build a crypto wallet's card from its public addresses, because the host never sends a seed or key. */
  function renderWallet(entry, actions) {
    const publicData = entry.public && typeof entry.public === "object" ? entry.public : {};
    const addresses = Array.isArray(publicData.addresses) ? publicData.addresses.filter((item) => typeof item === "string") : [];
    const heading = element("p", { className: "entry-title", textContent: `${entry.title || "(untitled)"}${publicData.coin ? ` · ${publicData.coin}` : ""}` });

    const rows = addresses.map((address) => {
      const parts = addressParts(address);
      const check = element("p", { className: "address-check", testid: "address-check" }, [
        element("span", { className: "address-large", testid: "address-start", textContent: parts.start }),
        element("span", { className: "address-middle", textContent: parts.middle }),
        element("span", { className: "address-large", testid: "address-end", textContent: parts.end }),
      ]);
      const copy = element("button", { type: "button", className: "tool", testid: "copy-address", textContent: "Copy address", dataset: { address } });
      copy.addEventListener("click", () => actions.copyAddress(address, copy));
      const fill = element("button", { type: "button", className: "tool", testid: "fill-address", textContent: "Fill address", dataset: { address } });
      fill.addEventListener("click", () => actions.fillAddress(address, fill));
      return element("div", { className: "wallet-address", testid: "wallet-address", dataset: { address } }, [check, element("div", { className: "tools" }, [copy, fill])]);
    });
    if (rows.length === 0) {
      rows.push(element("p", { className: "empty", textContent: "No public address saved for this wallet." }));
    }
    return element("li", { className: "wallet", testid: "wallet", dataset: { entryId: entry.id } }, [heading, ...rows]);
  }

  /** Build a search result of any type. A login can be filled, and the host re-checks its site first. */
  function renderResult(entry, actions) {
    if (entry.type === "wallet") {
      return renderWallet(entry, actions);
    }
    const kind = element("span", { className: "entry-match", textContent: entry.type || "entry" });
    const title = element("span", { className: "entry-title", textContent: entry.title || "(untitled)" });
    const detail = element("span", { className: "entry-username", textContent: [entry.username, entry.url].filter(Boolean).join(" · ") });
    const item = element("li", { testid: "result", dataset: { entryId: entry.id, type: entry.type || "" } });
    if (entry.type !== "login") {
      item.append(element("div", { className: "entry-static" }, [kind, title, detail]));
      return item;
    }
    const fill = element("button", { type: "button", className: "entry-fill", testid: "result-fill", dataset: { entryId: entry.id } }, [kind, title, detail]);
    fill.addEventListener("click", () => actions.fill(entry.id, fill));
    item.append(fill);
    return item;
  }

  globalThis.QvaultPopupRender = { ADDRESS_CHECK_CHARS, addressParts, renderLogin, renderResult };
})();
