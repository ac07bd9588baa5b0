/*
 * Instant cap check: as a rate is typed, say beside it whether it is within the cap of the MoU version in force,
 * or by how much it is over. Asks GET /api/v1/cap-check/ (the signed-in session authenticates the call).
 *
 * Markup it reads (no JavaScript is needed for the forms to work; this only adds the hints):
 *   <form data-cap-check [data-cap-check-url] [data-cap-role] [data-cap-engagement-type] [data-cap-started-on]>
 *     a "group" is an element with data-cap-row (one timesheet day), or the whole form when it has none;
 *     a value is read from the input inside [data-cap-input="role|engagement_type|date|pay_rate|charge_rate"]
 *     within the group, else from the group's or the form's data-cap-<name> attribute;
 *     answers are written into [data-cap-result="pay"] and [data-cap-result="charge"] within the group.
 */
(function () {
  "use strict";

  var DEBOUNCE_MS = 300;
  var NAMES = ["role", "engagement_type", "date", "pay_rate", "charge_rate", "started_on"];
  var MONEY = /^\d+(\.\d{1,2})?$/;

  function attr(el, name) {
    return el.getAttribute("data-cap-" + name.replace(/_/g, "-"));
  }

  function valueOf(form, group, name) {
    var holder = group.querySelector('[data-cap-input="' + name + '"]');
    if (holder) {
      var input = holder.matches("input, select") ? holder : holder.querySelector("input, select");
      if (input) return input.value.trim();
    }
    var own = attr(group, name);
    if (own !== null) return own;
    var shared = attr(form, name);
    return shared === null ? "" : shared;
  }

  function show(group, which, text, state) {
    var out = group.querySelector('[data-cap-result="' + which + '"]');
    if (!out) return;
    out.textContent = text || "";
    out.className = "cap-result" + (state ? " cap-" + state : "");
  }

  function money(value) {
    return "£" + value + "/h";
  }

  function verdict(excess, cap, what, versionName) {
    var where = versionName ? " (" + versionName + ")" : "";
    if (parseFloat(excess) > 0) {
      return { text: money(excess) + " over the " + money(cap) + " " + what + where, state: "over" };
    }
    return { text: "within the " + money(cap) + " " + what + where, state: "within" };
  }

  function answer(form, group, values, data) {
    var pay, charge;
    // data-cap-brief: the rows of a table leave the version's name out, to stay short.
    var versionName = form.hasAttribute("data-cap-brief") ? null : data.mou_version_name;
    if (!data.cap) {
      pay = {
        text: data.mou_version
          ? "No cap for this role (" + data.mou_version_name + ")."
          : "No cap for this role on that date.",
        state: "none",
      };
      charge = { text: "", state: "" };
    } else {
      pay = verdict(data.pay_excess, data.cap.max_pay_rate, "cap", versionName);
      if (!values.charge_rate) charge = { text: "", state: "" };
      else if (data.cap.max_charge_rate === null) charge = { text: "No charge cap for this role.", state: "none" };
      else charge = verdict(data.charge_excess, data.cap.max_charge_rate, "charge cap", versionName);
    }
    show(group, "pay", pay.text, pay.state);
    show(group, "charge", charge.text, charge.state);
  }

  function check(form, group) {
    var values = {};
    NAMES.forEach(function (name) {
      values[name] = valueOf(form, group, name);
    });
    // A day without hours is not submitted: say nothing about its rates.
    var hours = group.querySelector("[data-cap-hours]");
    if (hours && !hours.value.trim()) {
      show(group, "pay", "");
      show(group, "charge", "");
      return;
    }
    if (!values.role || !values.date || !MONEY.test(values.pay_rate)) {
      show(group, "pay", "");
      show(group, "charge", "");
      return;
    }
    if (values.charge_rate && !MONEY.test(values.charge_rate)) values.charge_rate = "";
    // The API needs a charge rate; with none typed yet, ask with 0 (always within) and say nothing about it.
    var params = new URLSearchParams({
      role: values.role, date: values.date, pay_rate: values.pay_rate, charge_rate: values.charge_rate || "0",
    });
    if (values.engagement_type) params.set("engagement_type", values.engagement_type);
    // The placement's start, for an API that judges a day of an existing placement (ignored by one that doesn't).
    if (values.started_on) params.set("started_on", values.started_on);
    var url = (form.getAttribute("data-cap-check-url") || "/api/v1/cap-check/") + "?" + params.toString();

    // Only the answer to the latest question counts: a slow earlier reply must not overwrite it.
    var ticket = (group._capTicket || 0) + 1;
    group._capTicket = ticket;
    show(group, "pay", "checking…", "pending");
    fetch(url, { credentials: "same-origin", headers: { Accept: "application/json" } })
      .then(function (response) {
        return response.json().then(function (data) {
          return { ok: response.ok, data: data };
        });
      })
      .then(function (result) {
        if (group._capTicket !== ticket) return;
        if (!result.ok) {
          show(group, "pay", "", "");
          show(group, "charge", "", "");
          return;
        }
        answer(form, group, values, result.data);
      })
      .catch(function () {
        if (group._capTicket !== ticket) return;
        show(group, "pay", "The cap check is not answering just now.", "none");
        show(group, "charge", "");
      });
  }

  function groupsOf(form) {
    var rows = form.querySelectorAll("[data-cap-row]");
    return rows.length ? Array.prototype.slice.call(rows) : [form];
  }

  function schedule(form, group) {
    clearTimeout(group._capTimer);
    group._capTimer = setTimeout(function () {
      check(form, group);
    }, DEBOUNCE_MS);
  }

  function wire(form) {
    var rows = form.querySelectorAll("[data-cap-row]").length > 0;
    function onEdit(event) {
      // A server-rendered answer (the cap-check page without JavaScript) is about the values before this edit.
      Array.prototype.forEach.call(form.querySelectorAll("[data-cap-stale-on-edit]"), function (el) {
        el.hidden = true;
      });
      var group = rows ? event.target.closest("[data-cap-row]") : form;
      if (group) schedule(form, group);
      else groupsOf(form).forEach(function (g) { schedule(form, g); }); // e.g. the role changed: every row
    }
    form.addEventListener("input", onEdit);
    form.addEventListener("change", onEdit);
    groupsOf(form).forEach(function (group) {
      check(form, group);
    });
  }

  function start() {
    Array.prototype.forEach.call(document.querySelectorAll("form[data-cap-check]"), wire);
  }

  if (document.readyState === "loading") document.addEventListener("DOMContentLoaded", start);
  else start();
})();
