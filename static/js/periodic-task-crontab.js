// The admin's periodic task form: under the crontab field, its schedule in words (django-celery-beat's behaviour,
// moved out of an inline script for the Content-Security-Policy).
"use strict";
(function () {
  const crontabs = document.getElementById("readable-crontabs");
  const help = document.getElementById("crontab-help");
  const select = document.getElementById("id_crontab");
  if (!crontabs || !help || !select) return;
  const readable = JSON.parse(crontabs.textContent);
  const original = JSON.parse(help.textContent);
  const translation = document.querySelector(".field-crontab_translation");
  if (translation) translation.hidden = true;
  select.addEventListener("change", function () {
    const target = document.querySelector(".field-crontab .help");
    if (!target) return;
    target.textContent = original;
    if (readable[select.value]) {
      target.appendChild(document.createElement("br"));
      target.appendChild(document.createTextNode("Translation: " + readable[select.value]));
    }
  });
})();
