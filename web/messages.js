// Text for people. Messages about a file's content come from Python (dicompress.browser);
// the rest are templates from policy.json (the same source as the command line's), filled in here.
function fill(template, fields) {
  return template.replace(/\{(\w+)\}/g, (_, key) => String(fields[key] ?? ""));
}

// The sentence for a failed request: Python's own message, or the template of its code.
export function failureText(reply, messages) {
  if (reply.message) return reply.message;
  const key = reply.code in messages ? reply.code : "unexpected";
  return fill(messages[key], { error: reply.reason });
}

export function startFailure(reason) {
  return `The Python runtime could not be started: ${reason}`;
}

export function workerDiedText(reason, messages) {
  return fill(messages.converter_restarted, { error: reason });
}

// The note on targets the page cannot write yet (frontend.Target.surfaces lacks "page").
export function targetsMissingText(targets, messages) {
  return fill(messages.browser_target_missing, { names: targets.map((t) => t.name).join("|") });
}
