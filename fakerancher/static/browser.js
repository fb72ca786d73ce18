"use strict";
// The API browser's behaviour: actions, and the forms built from the type's schema.
// Every call asks for JSON explicitly (a browser's default Accept would get this page).
(() => {
  const root = document.getElementById("fr");
  if (!root) return;
  const ctx = root.dataset;
  const notice = document.getElementById("notice");
  const forms = document.getElementById("forms");
  const SECRET = /secret|password/i;

  async function call(method, url, body) {
    const init = { method, headers: { Accept: "application/json" }, credentials: "same-origin" };
    if (body !== undefined) {
      init.headers["Content-Type"] = "application/json";
      init.body = JSON.stringify(body);
    }
    let response;
    try {
      response = await fetch(url, init);
    } catch (error) {
      return { status: 0, ok: false, doc: { code: "NetworkError", message: String(error) } };
    }
    let doc = null;
    try {
      doc = await response.json();
    } catch (error) {
      doc = null;
    }
    return { status: response.status, ok: response.ok, doc };
  }

  function el(tag, attrs, ...children) {
    const node = document.createElement(tag);
    for (const [key, value] of Object.entries(attrs || {})) {
      if (value === undefined || value === null || value === false) continue;
      if (key === "className") node.className = value;
      else if (key === "dataset") Object.assign(node.dataset, value);
      else node.setAttribute(key, value === true ? "" : String(value));
    }
    for (const child of children) {
      if (child === null || child === undefined) continue;
      node.append(typeof child === "string" ? document.createTextNode(child) : child);
    }
    return node;
  }

  // The notice goes next to what it is about: the form, or the buttons that were pressed.
  function say(kind, near, ...parts) {
    const anchor = near && (near.closest(".card, .wrap, details") || near);
    if (anchor) anchor.after(notice);
    notice.className = "notice " + kind;
    notice.replaceChildren(...parts);
  }

  // Cattle's error document as a person reads it: status, code, message, fieldName.
  function refused(result, form, near) {
    const doc = result.doc || {};
    const parts = [el("strong", {}, `${result.status} ${doc.code || "error"}`)];
    if (doc.message && doc.message !== doc.code) parts.push(`: ${doc.message}`);
    if (doc.detail) parts.push(` (${doc.detail})`);
    if (doc.fieldName) parts.push(" — field ", el("strong", { id: "error-field" }, doc.fieldName));
    say("error", form || near, el("span", { id: "error" }, ...parts));
    if (form && doc.fieldName) {
      const input = form.querySelector(`[name="${CSS.escape(doc.fieldName)}"]`);
      if (input) {
        input.setAttribute("aria-invalid", "true");
        input.focus();
      }
    }
  }

  // -- actions: buttons and the action links of the JSON view --------------------------------
  document.addEventListener("click", async (event) => {
    const target = event.target.closest("[data-action]");
    if (!target) return;
    event.preventDefault();
    if (target.tagName === "BUTTON") target.disabled = true;
    const name = target.dataset.name || new URL(target.dataset.action).searchParams.get("action");
    const result = await call("POST", target.dataset.action);
    if (result.ok) {
      say("ok", target, `${name}: ${result.doc && result.doc.state}`);
      location.reload();
    } else {
      if (target.tagName === "BUTTON") target.disabled = false;
      refused(result, null, target);
    }
  });

  // -- forms from the schema ----------------------------------------------------------------
  async function loadSchema(type) {
    if (!ctx.schemas || !type) return null;
    const result = await call("GET", `${ctx.schemas}/${type.toLowerCase()}`);
    return result.ok ? result.doc : null;
  }

  function describe(name, field, create) {
    const label = el("label", { for: `f-${name}` }, name);
    if (create && field.required) label.append(el("span", { className: "req", title: "required" }, "*"));
    if (create && field.create && !field.update) label.append(el("span", { className: "tag" }, "create-only"));
    const hints = [field.type];
    if (field.maxLength !== undefined) hints.push(`max ${field.maxLength}`);
    if (field.minLength !== undefined) hints.push(`min ${field.minLength}`);
    if (field.nullable) hints.push("nullable");
    return [label, el("span", { className: "hint" }, hints.join(" · "))];
  }

  function input(name, field, value) {
    const type = field.type || "string";
    const common = { name, id: `f-${name}` };
    if (type === "enum" && Array.isArray(field.options)) {
      const select = el("select", { ...common, dataset: { kind: "string" } }, el("option", { value: "" }, "—"));
      for (const option of field.options) {
        select.append(el("option", { value: option, selected: option === value }, option));
      }
      return select;
    }
    if (type.startsWith("reference[")) {
      const select = el("select", { ...common, dataset: { kind: "string" } }, el("option", { value: "" }, "—"));
      references(select, type.slice("reference[".length, -1), value);
      return select;
    }
    if (type === "boolean") {
      return el("input", { ...common, type: "checkbox", checked: value === true, dataset: { kind: "boolean" } });
    }
    if (type === "int" || type === "float") {
      return el("input", { ...common, type: "number", value: value ?? "", dataset: { kind: "number" } });
    }
    if (type.startsWith("array[") || type.startsWith("map[") || type === "json") {
      const text = value === null || value === undefined ? "" : JSON.stringify(value);
      const area = el("textarea", { ...common, rows: 2, dataset: { kind: "json" } });
      area.value = text;
      return area;
    }
    const secret = type === "password" || SECRET.test(name);
    return el("input", {
      ...common,
      type: secret ? "password" : "text",
      autocomplete: secret ? "new-password" : "off",
      value: secret ? "" : value ?? "",
      placeholder: secret && value !== undefined ? "unchanged" : undefined,
      dataset: { kind: "string" },
    });
  }

  // A reference field offers the referenced type's resources, from its collection.
  async function references(select, type, value) {
    const schema = await loadSchema(type);
    const url = schema && schema.links && schema.links.collection;
    if (!url) return;
    const result = await call("GET", `${url}?limit=100`);
    if (!result.ok || !result.doc || !Array.isArray(result.doc.data)) return;
    for (const item of result.doc.data) {
      const label = [item.id, item.name || item.serverAddress || "", `(${item.state})`].join(" ");
      select.append(el("option", { value: item.id, selected: item.id === value }, label));
    }
  }

  function read(form) {
    const body = {};
    for (const field of form.querySelectorAll("[data-kind]")) {
      const kind = field.dataset.kind;
      if (kind === "boolean") {
        if (field.checked) body[field.name] = true;
        continue;
      }
      if (field.value === "") continue;
      if (kind === "number") body[field.name] = Number(field.value);
      else if (kind === "json") body[field.name] = JSON.parse(field.value);
      else body[field.name] = field.value;
    }
    return body;
  }

  function fieldsForm(id, title, schema, flag, current, submit, onSubmit) {
    const form = el("form", { className: "fields", id, novalidate: true });
    for (const [name, field] of Object.entries(schema.resourceFields || {})) {
      if (!field[flag]) continue;
      const [label, hint] = describe(name, field, flag === "create");
      form.append(label, input(name, field, current ? current[name] : undefined), hint);
    }
    form.append(el("span"), el("div", {}, el("button", { type: "submit", className: "primary" }, submit)));
    form.addEventListener("submit", async (event) => {
      event.preventDefault();
      for (const bad of form.querySelectorAll("[aria-invalid]")) bad.removeAttribute("aria-invalid");
      let body;
      try {
        body = read(form);
      } catch (error) {
        say("error", form, `Not JSON: ${error.message}`);
        return;
      }
      const button = form.querySelector("button[type=submit]");
      button.disabled = true;
      await onSubmit(body, form);
      button.disabled = false;
    });
    return el("section", { className: "card" }, el("h2", {}, title), form);
  }

  async function collectionPage() {
    const schema = await loadSchema(ctx.resourceType);
    if (!schema) return;
    filterForm(schema);
    const target = schema.links && schema.links.collection;
    if (!target || !(schema.collectionMethods || []).includes("POST")) return;
    forms.append(
      fieldsForm("create-form", `Create a ${schema.id}`, schema, "create", null, "Create", async (body, form) => {
        const result = await call("POST", target, body);
        if (result.ok && result.doc && result.doc.links) location.assign(result.doc.links.self);
        else refused(result, form);
      }),
    );
  }

  function filterForm(schema) {
    const filters = schema.collectionFilters || {};
    const names = Object.keys(filters).filter((name) => name in (schema.resourceFields || {}));
    if (!names.length) return;
    const field = el("select", { id: "filter-field", "aria-label": "filter field" });
    const modifier = el("select", { id: "filter-modifier", "aria-label": "filter modifier" });
    const value = el("input", { id: "filter-value", "aria-label": "filter value", placeholder: "value" });
    for (const name of names) field.append(el("option", { value: name, selected: name === "name" }, name));
    const modifiers = () => {
      modifier.replaceChildren(...(filters[field.value].modifiers || []).map((m) => el("option", { value: m }, m)));
    };
    field.addEventListener("change", modifiers);
    modifiers();
    const form = el("form", { className: "inline", id: "filter" }, field, modifier, value, el("button", { type: "submit" }, "Filter"));
    form.addEventListener("submit", (event) => {
      event.preventDefault();
      const url = new URL(location.href);
      url.searchParams.delete("marker");
      const key = modifier.value === "eq" ? field.value : `${field.value}_${modifier.value}`;
      url.searchParams.append(key, value.value);
      location.assign(url.toString());
    });
    document.getElementById("filter-form").append(form);
  }

  async function resourcePage() {
    const [schema, current] = await Promise.all([loadSchema(ctx.resourceType), call("GET", ctx.self)]);
    if (!schema) return;
    const methods = schema.resourceMethods || [];
    if (methods.includes("DELETE")) {
      const remove = el("button", { type: "button", className: "danger", id: "delete" }, "delete");
      remove.addEventListener("click", async () => {
        remove.disabled = true;
        const result = await call("DELETE", ctx.self);
        if (result.ok) location.reload();
        else {
          remove.disabled = false;
          refused(result, null, remove);
        }
      });
      document.getElementById("actions").append(remove);
    }
    if (methods.includes("PUT") && current.ok) {
      const before = current.doc;
      forms.append(
        fieldsForm("edit-form", `Edit this ${schema.id}`, schema, "update", before, "Save", async (body, form) => {
          const changed = {};
          for (const [key, value] of Object.entries(body)) {
            if (JSON.stringify(value) !== JSON.stringify(before[key])) changed[key] = value;
          }
          const result = await call("PUT", ctx.self, changed);
          if (result.ok) location.reload();
          else refused(result, form);
        }),
      );
    }
    if (ctx.transitioning === "yes") watch(0);
  }

  // A transitioning resource: look again until it settles, then show it.
  function watch(round) {
    if (round >= 40) return;
    setTimeout(async () => {
      const result = await call("GET", ctx.self);
      if (result.ok && result.doc && result.doc.transitioning !== "yes") location.reload();
      else watch(round + 1);
    }, 1500);
  }

  if (ctx.kind === "collection") collectionPage();
  else if (ctx.kind === "resource") resourcePage();
})();
