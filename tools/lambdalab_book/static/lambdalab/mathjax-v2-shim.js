/* The ipywidgets manager typesets widget labels with MathJax 2's API,
   MathJax.Hub.Queue(["Typeset", MathJax.Hub, element]); the book serves MathJax 3.
   Loaded (deferred) after MathJax 3 on pages with both math and widgets. */
(function () {
  if (!window.MathJax || window.MathJax.Hub) return;
  window.MathJax.Hub = {
    Queue: function (job) {
      var element = Array.isArray(job) ? job[2] : undefined;
      if (window.MathJax.typesetPromise) {
        window.MathJax.typesetPromise(element ? [element] : undefined).catch(function () {});
      }
    },
  };
})();
