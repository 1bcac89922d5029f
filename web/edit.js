// Editing a shelter from its popup (editors and above): status, capacity and people
// already there. The change goes to PATCH /api/layers/{id}/features/{feature id}, is
// logged before it is acknowledged, and the map redraws from the new tiles.

import { el, sendJSON } from "/dom.js";

const STATUSES = [
  ["open", "开放 open"],
  ["full", "已满 full"],
  ["closed", "关闭 closed"],
];

/** A form for `feature` (the full record from the API) of shelter layer `layerId`;
 *  `onSaved(record)` runs after the server accepts the change. */
export function shelterForm(layerId, feature, onSaved) {
  const props = feature.properties || {};
  const status = el("select", { name: "status" },
    STATUSES.map(([value, label]) => {
      const option = el("option", { value }, label);
      option.selected = (props.status || "open") === value;
      return option;
    }));
  const number = (name, value) =>
    el("input", { type: "number", name, min: "0", step: "1", value: value ?? "" });
  const capacity = number("capacity", props.capacity);
  const occupancy = number("occupancy", props.occupancy);
  const message = el("p", { class: "edit-message", role: "status" });
  const form = el("form", { class: "edit-form" },
    el("h4", {}, "编辑 Edit"),
    el("label", {}, "状态 status ", status),
    el("label", {}, "容量 capacity ", capacity),
    el("label", {}, "已安置 occupancy ", occupancy),
    el("button", { type: "submit" }, "保存 Save"),
    message);
  form.addEventListener("submit", async (event) => {
    event.preventDefault();
    const changes = { status: status.value };
    for (const input of [capacity, occupancy]) {
      if (input.value !== "") changes[input.name] = Number(input.value);
    }
    message.textContent = "…";
    try {
      const url = `/api/layers/${encodeURIComponent(layerId)}/features/${encodeURIComponent(feature.id)}`;
      const record = await sendJSON("PATCH", url, { properties: changes });
      message.textContent = "已保存 Saved";
      form.classList.add("saved");
      onSaved(record);
    } catch (error) {
      message.textContent = error.message;
      message.classList.add("error");
    }
  });
  return form;
}
