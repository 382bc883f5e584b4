// Schedule-a-callback form: next to each local time typed in the customer's
// zone, show the same instant in the advisor's own zone. No library: the
// zone's offset at an instant comes from Intl, and one correction step
// settles wall-clock times near a DST change.
function offsetMinutes(zone, ms) {
  const parts = new Intl.DateTimeFormat("en-US", {
    timeZone: zone, hourCycle: "h23", year: "numeric", month: "2-digit",
    day: "2-digit", hour: "2-digit", minute: "2-digit", second: "2-digit",
  }).formatToParts(new Date(ms));
  const v = Object.fromEntries(parts.map((p) => [p.type, p.value]));
  const asUtc = Date.UTC(+v.year, +v.month - 1, +v.day, +v.hour, +v.minute, +v.second);
  return Math.round((asUtc - ms) / 60000);
}

function instantOf(local, zone) {
  const m = /^(\d{4})-(\d{2})-(\d{2})T(\d{2}):(\d{2})/.exec(local);
  if (!m) return null;
  const wall = Date.UTC(+m[1], +m[2] - 1, +m[3], +m[4], +m[5]);
  let ms = wall - offsetMinutes(zone, wall) * 60000;
  ms = wall - offsetMinutes(zone, ms) * 60000;
  return ms;
}

function refresh(form) {
  const zone = form.querySelector("[name=time_zone]").value.trim();
  for (const out of form.querySelectorAll("[data-yours-for]")) {
    const input = form.querySelector(`[name=${out.dataset.yoursFor}]`);
    let text = "";
    try {
      const ms = input.value ? instantOf(input.value, zone) : null;
      if (ms !== null) {
        text = `${out.dataset.label} : ${new Date(ms).toLocaleString(document.documentElement.lang || undefined, { dateStyle: "medium", timeStyle: "short" })}`;
      }
    } catch (_) {
      text = ""; // an unknown zone: the server says so on submit
    }
    out.textContent = text;
  }
}

for (const form of document.querySelectorAll("form[data-callback-form]")) {
  form.addEventListener("input", () => refresh(form));
  refresh(form);
}

// The supervisors' callbacks page: reload when an alert or a callback
// changes, so a contact stuck beyond its maximum wait shows at once.
const live = document.querySelector("[data-live-reload]");
if (live && "EventSource" in window) {
  const source = new EventSource("/api/v1/events");
  let timer = null;
  for (const kind of live.dataset.liveReload.split(" ")) {
    source.addEventListener(kind, () => {
      if (timer) return;
      // A burst of events costs one reload.
      timer = setTimeout(() => location.reload(), 500);
    });
  }
}
