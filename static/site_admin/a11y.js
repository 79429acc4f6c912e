'use strict';
// Accessible names for the widgets that Django's admin builds with JavaScript once the page has loaded:
// - SelectFilter2.js (filter_horizontal) adds <span class="help-tooltip search-label-icon" aria-label="...">,
//   a <span> with no role, on which aria-label is prohibited: it gets role="img", the icon that it is.
// - select2 (autocomplete_fields) puts a combobox, with the read-only textbox showing the value (and, for
//   several values, a search box), in place of the <select>, named by nothing: they get aria-labelledby
//   naming the field's <label>.
// A MutationObserver applies both as soon as those widgets appear (on load, in a new inline, in a dropdown).
{
    function labelIdOf(select) {
        if (!select.id) return null;
        const label = document.querySelector('label[for="' + CSS.escape(select.id) + '"]');
        if (!label) return null;
        if (!label.id) label.id = select.id + '_label';
        return label.id;
    }

    function nameBy(element, labelId) {
        const current = (element.getAttribute('aria-labelledby') || '').split(/\s+/).filter(Boolean);
        if (current.includes(labelId)) return;
        element.setAttribute('aria-labelledby', [labelId, ...current].join(' '));
    }

    function nameSelect2(select) {
        const container = select.nextElementSibling;
        if (!container || !container.classList.contains('select2-container')) return;
        const labelId = labelIdOf(select);
        if (!labelId) return;
        const named = '.select2-selection[role="combobox"], .select2-selection__rendered[role="textbox"], .select2-search__field';
        container.querySelectorAll(named).forEach(function(element) {
            nameBy(element, labelId);
        });
    }

    function fix() {
        document.querySelectorAll('.help-tooltip.search-label-icon[aria-label]:not([role])').forEach(function(icon) {
            icon.setAttribute('role', 'img');
        });
        document.querySelectorAll('select.select2-hidden-accessible').forEach(nameSelect2);
    }

    new MutationObserver(fix).observe(document.documentElement, {childList: true, subtree: true});
    document.addEventListener('DOMContentLoaded', fix);

    // The search box of an open single-value dropdown (appended to <body>) is named by the field's label too.
    document.addEventListener('DOMContentLoaded', function() {
        if (!window.django || !django.jQuery) return;
        django.jQuery(document).on('select2:open', function(event) {
            const labelId = labelIdOf(event.target);
            const select2 = django.jQuery(event.target).data('select2');
            if (!labelId || !select2 || !select2.$dropdown) return;
            select2.$dropdown.find('.select2-search__field').each(function() { nameBy(this, labelId); });
        });
    });
}
