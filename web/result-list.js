// The rows of the results table, a group of FILES_PER_GROUP files at a time.
//
// A study is thousands of files, and each finished file changes its row. In one HTML table
// every change lays out the whole table again, and the browser also updates every row's
// layers each frame: at 2,000 rows the page's thread was busy all the time (40 % of it in
// layout), taking the cores the converters need. Here the table is ARIA roles on plain
// boxes (each row its own grid of fixed columns, so no row's width depends on another's),
// and a group of rows the reader cannot see is neither laid out nor painted
// (content-visibility: auto in style.css), so a change costs what one group costs.
const FILES_PER_GROUP = 50;

export class ResultList {
  #container;
  #group = null;
  #files = 0;

  constructor(container) {
    this.#container = container;
  }

  // Append the rows of `rows` (ResultRows), in order.
  add(rows) {
    for (const row of rows) {
      if (this.#group === null || this.#files === FILES_PER_GROUP) {
        this.#group = document.createElement("div");
        this.#group.className = "result-group";
        this.#group.setAttribute("role", "rowgroup");
        this.#container.append(this.#group);
        this.#files = 0;
      }
      this.#group.append(...row.elements);
      this.#files += 1;
    }
  }

  // Remove every row.
  clear() {
    this.#container.replaceChildren();
    this.#group = null;
    this.#files = 0;
  }
}
