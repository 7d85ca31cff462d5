(function () {
  "use strict";
  var changes = Array.prototype.slice.call(document.querySelectorAll("[data-change]"));
  var toolbar = document.querySelector(".toolbar");
  var paneTitles = document.querySelector(".pane-titles");
  var position = document.getElementById("change-position");
  var stickyHeight = 0;
  var current = -1;
  var scrolledTo = -1;

  Array.prototype.forEach.call(document.querySelectorAll(".js-only"), function (el) {
    el.hidden = false;
  });

  // Keep jump targets clear of the sticky toolbar (and the pane titles in the side-by-side view).
  function layout() {
    var height = toolbar ? toolbar.offsetHeight : 0;
    document.documentElement.style.setProperty("--sticky", height + "px");
    if (paneTitles) {
      paneTitles.style.top = height + "px";
      height += paneTitles.offsetHeight;
    }
    stickyHeight = height;
    document.documentElement.style.scrollPaddingTop = (height + 8) + "px";
  }
  layout();
  window.addEventListener("resize", layout);
  Array.prototype.forEach.call(document.querySelectorAll("input[name=view]"), function (el) {
    el.addEventListener("change", function () {
      layout();
      if (current >= 0) {
        show(current);  // keep the reader's place across the change of layout
      }
    });
  });

  function show(index) {
    if (current >= 0 && changes[current]) {
      changes[current].classList.remove("current");
    }
    current = index;
    var el = changes[index];
    openAround(el);
    el.classList.add("current");
    el.scrollIntoView({block: "start"});
    el.focus({preventScroll: true});
    scrolledTo = window.scrollY;
    if (position) {
      position.textContent = (index + 1) + " / " + changes.length;
    }
  }

  // Open a clause and every fold that holds it.
  function openAround(el) {
    for (; el; el = el.parentElement) {
      if (el.tagName === "DETAILS") {
        el.open = true;
      }
    }
  }

  // A link to a clause inside a fold (from the contents, or a page address) opens the fold.
  function openLinked() {
    var id = decodeURIComponent(location.hash.slice(1));
    var el = id && document.getElementById(id);
    if (el) {
      openAround(el);
      el.scrollIntoView({block: "start"});
    }
  }
  window.addEventListener("hashchange", openLinked);
  if (location.hash) {
    openLinked();
  }

  function onScreen(el) {
    var box = el.getBoundingClientRect();
    return box.bottom > stickyHeight && box.top < window.innerHeight;
  }

  // Step from the current change while it is on screen (or the reader has not scrolled since);
  // otherwise from the first change below the sticky bars.
  function go(step) {
    if (!changes.length) {
      return;
    }
    var target;
    if (current >= 0 && (window.scrollY === scrolledTo || onScreen(changes[current]))) {
      target = current + step;
    } else {
      target = step > 0 ? firstBelow(stickyHeight + 16) : lastAbove(stickyHeight);
    }
    show(Math.max(0, Math.min(target, changes.length - 1)));
  }

  function firstBelow(edge) {
    for (var i = 0; i < changes.length; i++) {
      if (changes[i].getBoundingClientRect().top > edge) {
        return i;
      }
    }
    return changes.length - 1;
  }

  function lastAbove(edge) {
    for (var i = changes.length - 1; i >= 0; i--) {
      if (changes[i].getBoundingClientRect().top < edge) {
        return i;
      }
    }
    return 0;
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
  onClick("expand-all", function () { setOpen("details.clause, details.run", true); });
  onClick("collapse-unchanged", function () { setOpen("details.clause:not([data-change]), details.run", false); });

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
