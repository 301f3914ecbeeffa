// Bürgerbox staff inbox: optional keyboard enhancements. Everything works without this file.
//   /      focus the search field
//   j / k  next / previous ticket in the list; Enter opens it
'use strict';
(function () {
  const rows = () => Array.from(document.querySelectorAll('table.tickets tbody .num a'));
  let current = -1;
  document.addEventListener('keydown', (event) => {
    const target = event.target;
    if (target && (target.isContentEditable || /^(INPUT|TEXTAREA|SELECT)$/.test(target.tagName))) return;
    if (event.ctrlKey || event.metaKey || event.altKey) return;
    if (event.key === '/') {
      const search = document.querySelector('input[name="q"]');
      if (search) { event.preventDefault(); search.focus(); }
    } else if (event.key === 'j' || event.key === 'k') {
      const links = rows();
      if (links.length === 0) return;
      current = Math.max(0, Math.min(links.length - 1, current + (event.key === 'j' ? 1 : -1)));
      links[current].focus();
    }
  });
}());
