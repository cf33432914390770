// The one script of the worksheet: the Print button (printing needs no script; Ctrl+P works too).
document.getElementById("print-worksheet").addEventListener("click", function () {
  window.print();
});
