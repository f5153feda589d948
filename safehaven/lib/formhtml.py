"""Form fields as HTML, without a template render per widget, option and label.

`core/_fields.html` lays out every form of the app. Django renders each widget, each
<option> of a select and each label through its own template: a search form with three
selects cost about 8 ms of CPU a page (the directory search, opened many times a day). Here
the same HTML is written in Python from Django's own widget context (`get_context`, so
attributes, ids, `required`, `aria-invalid`, `aria-describedby` and selected options are
decided by Django exactly as before), for the widgets whose templates are Django's stock
ones: text-like inputs, checkboxes, selects and textareas. Any other widget, or a widget
with its own template, is rendered by Django. tests/test_formhtml.py compares the output
with Django's for the app's forms, bound and unbound, with errors, in three languages.
"""

from django.utils.html import conditional_escape, escape, format_html
from django.utils.safestring import SafeString, mark_safe
from django.utils.translation import gettext

_INPUT = "django/forms/widgets/input.html"
_INPUT_TEMPLATES = {f"django/forms/widgets/{n}.html" for n in (
    "text", "number", "email", "url", "password", "hidden", "checkbox", "date", "datetime", "time", "search", "tel")}
_INPUT_TEMPLATES.add(_INPUT)
_SELECT = "django/forms/widgets/select.html"
_OPTION = "django/forms/widgets/select_option.html"
_TEXTAREA = "django/forms/widgets/textarea.html"


def _attrs(attrs: dict) -> str:
    out = []
    for name, value in attrs.items():
        if value is False:
            continue
        out.append(f" {escape(name)}" if value is True else f' {escape(name)}="{escape(str(value))}"')
    return "".join(out)


def _input(w: dict) -> str:
    value = "" if w["value"] is None else f' value="{escape(str(w["value"]))}"'
    return f'<input type="{escape(w["type"])}" name="{escape(w["name"])}"{value}{_attrs(w["attrs"])}>'


def _select(w: dict) -> str | None:
    parts = [f'<select name="{escape(w["name"])}"{_attrs(w["attrs"])}>']
    for group_name, group_choices, _index in w["optgroups"]:
        if group_name:
            parts.append(f'\n  <optgroup label="{conditional_escape(group_name)}">')
        for option in group_choices:
            if option["template_name"] != _OPTION:
                return None
            parts.append(f'\n  <option value="{escape(str(option["value"]))}"{_attrs(option["attrs"])}>'
                         f'{conditional_escape(option["label"])}</option>')
        if group_name:
            parts.append("\n  </optgroup>")
    parts.append("\n</select>")
    return "".join(parts)


def _textarea(w: dict) -> str:
    value = conditional_escape(w["value"]) if w["value"] else ""
    return f'<textarea name="{escape(w["name"])}"{_attrs(w["attrs"])}>\n{value}</textarea>'


def widget_html(bf) -> SafeString:
    """Return what str(bound_field) returns (Django's widget rendering), written directly."""
    widget = bf.field.widget
    template = getattr(widget, "template_name", None)
    if bf.field.localize or bf.field.show_hidden_initial or (
            template not in _INPUT_TEMPLATES and template not in (_SELECT, _TEXTAREA)):
        return str(bf)
    attrs = bf.build_widget_attrs({}, widget)
    if bf.auto_id and "id" not in widget.attrs:
        attrs.setdefault("id", bf.auto_id)
    context = widget.get_context(bf.html_name, bf.value(), attrs)["widget"]
    if template == _SELECT:
        html = _select(context)
        if html is None:
            return str(bf)
    elif template == _TEXTAREA:
        html = _textarea(context)
    else:
        html = _input(context)
    return mark_safe(html)  # noqa: S308 - every value above is escaped


def label_html(bf) -> SafeString:
    """Return what bound_field.label_tag() returns, for a label without extra attributes."""
    form = bf.form
    if getattr(form, "template_name_label", "django/forms/label.html") != "django/forms/label.html":
        return bf.label_tag()
    contents = bf.label
    suffix = bf.field.label_suffix if bf.field.label_suffix is not None else form.label_suffix
    if suffix and contents and contents[-1] not in gettext(":?.!"):
        contents = format_html("{}{}", contents, suffix)
    else:
        contents = conditional_escape(contents)
    widget = bf.field.widget
    id_ = widget.attrs.get("id") or bf.auto_id
    if not id_:
        return contents
    attrs = {}
    id_for_label = widget.id_for_label(id_)
    if id_for_label:
        attrs["for"] = id_for_label
    if bf.field.required and hasattr(form, "required_css_class"):
        attrs["class"] = form.required_css_class
    return mark_safe(f"<label{_attrs(attrs)}>{contents}</label>")  # noqa: S308 - escaped above


def fields_html(form) -> SafeString:
    """Return core/_fields.html for this form: each visible field, then the hidden ones."""
    out = []
    for bf in form.visible_fields():
        checkbox = bf.widget_type == "checkbox"
        out.append(f'\n<div class="field{" checkbox-row" if checkbox else ""}">\n  ')
        out.append(f"{widget_html(bf)} {label_html(bf)}" if checkbox else label_html(bf))
        out.append("\n  ")
        if bf.help_text:
            out.append(f'<span class="helptext" id="{escape(bf.auto_id)}_help">{conditional_escape(bf.help_text)}</span>')
        out.append("\n  ")
        if bf.errors:
            items = "".join(f"<li>{conditional_escape(e)}</li>" for e in bf.errors)
            out.append(f'<ul class="errorlist" id="{escape(bf.auto_id)}_error">{items}</ul>')
        out.append("\n  ")
        if not checkbox:
            out.append(str(widget_html(bf)))
        out.append("\n</div>\n")
    out.append("\n")
    out.extend(str(widget_html(bf)) for bf in form.hidden_fields())
    return mark_safe("".join(out))  # noqa: S308 - every value above is escaped
