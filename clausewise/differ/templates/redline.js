(function () {
  "use strict";
  var changes = Array.prototype.slice.call(document.querySelectorAll("[data-change]"));
  var toolbar = document.querySelector(".toolbar");
  var position = document.getElementById("change-position");
  var current = -1;

  Array.prototype.forEach.call(document.querySelectorAll(".js-only"), function (el) {
    el.hidden = false;
  });

  function toolbarBottom() {
    return toolbar ? toolbar.getBoundingClientRect().bottom : 0;
  }

  function show(index) {
    if (current >= 0 && changes[current]) {
      changes[current].classList.remove("current");
    }
    current = index;
    var el = changes[index];
    if (el.tagName === "DETAILS") {
      el.open = true;
    }
    el.classList.add("current");
    el.scrollIntoView({block: "start"});
    el.focus({preventScroll: true});
    if (position) {
      position.textContent = (index + 1) + " / " + changes.length;
    }
  }

  function go(step) {
    if (!changes.length) {
      return;
    }
    var edge = toolbarBottom();
    var target = -1;
    var i;
    if (step > 0) {
      for (i = 0; i < changes.length; i++) {
        if (changes[i].getBoundingClientRect().top > edge + 24) {
          target = i;
          break;
        }
      }
      if (target < 0 || target <= current) {
        target = Math.min(current + 1, changes.length - 1);
      }
    } else {
      for (i = changes.length - 1; i >= 0; i--) {
        if (changes[i].getBoundingClientRect().top < edge - 4) {
          target = i;
          break;
        }
      }
      if (current >= 0 && target >= current) {
        target = current - 1;
      }
      target = Math.max(target, 0);
    }
    show(target);
  }

  function setOpen(selector, open) {
    Array.prototype.forEach.call(document.querySelectorAll(selector), function (el) {
      el.open = open;
    });
  }

  function onClick(id, handler) {
    var el = document.getElementById(id);
    if (el) {
      el.addEventListener("click", handler);
    }
  }

  onClick("next-change", function () { go(1); });
  onClick("prev-change", function () { go(-1); });
  onClick("expand-all", function () { setOpen("details.clause", true); });
  onClick("collapse-unchanged", function () { setOpen("details.clause:not([data-change])", false); });

  document.addEventListener("keydown", function (event) {
    if (event.defaultPrevented || event.ctrlKey || event.metaKey || event.altKey) {
      return;
    }
    var target = event.target;
    var typing = target && (target.isContentEditable || /^(TEXTAREA|SELECT)$/.test(target.tagName) ||
      (target.tagName === "INPUT" && !/^(radio|checkbox|button)$/.test(target.type)));
    if (typing) {
      return;
    }
    if (event.key === "n") {
      go(1);
      event.preventDefault();
    } else if (event.key === "p") {
      go(-1);
      event.preventDefault();
    }
  });

  // Browsers without ::details-content still print every clause: open them for the print run.
  var closedForPrint = [];
  window.addEventListener("beforeprint", function () {
    closedForPrint = Array.prototype.filter.call(document.querySelectorAll("details"), function (el) {
      return !el.open;
    });
    closedForPrint.forEach(function (el) { el.open = true; });
  });
  window.addEventListener("afterprint", function () {
    closedForPrint.forEach(function (el) { el.open = false; });
    closedForPrint = [];
  });
}());
