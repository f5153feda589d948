"""Read a form off a rendered page, as a browser would submit it (for tests).

Pages write some forms out by hand (the chart's, for speed); a test that posts the names a
page actually renders catches a page and its view disagreeing about field names.
"""

from html.parser import HTMLParser


class _FormReader(HTMLParser):
    def __init__(self, action: str):
        super().__init__(convert_charrefs=True)
        self.action = action
        self.inside = False
        self.found = False
        self.fields: dict[str, list[str]] = {}
        self.options: dict[str, list[str]] = {}
        self.ids: list[str] = []
        self._select: str | None = None
        self._textarea: str | None = None

    def handle_starttag(self, tag, attrs):
        a = dict(attrs)
        if tag == "form" and a.get("action") == self.action:
            self.inside = self.found = True
            return
        if not self.inside:
            return
        if a.get("id"):
            self.ids.append(a["id"])
        name = a.get("name")
        if tag == "input" and name:
            if a.get("type") in ("checkbox", "radio") and "checked" not in a:
                self.options.setdefault(name, []).append(a.get("value", "on"))
                return
            self.fields.setdefault(name, []).append(a.get("value", ""))
        elif tag == "select" and name:
            self._select = name
            self.options.setdefault(name, [])
        elif tag == "option" and self._select:
            self.options[self._select].append(a.get("value", ""))
            if "selected" in a:
                self.fields.setdefault(self._select, []).append(a.get("value", ""))
        elif tag == "textarea" and name:
            self._textarea = name
            self.fields.setdefault(name, []).append("")

    def handle_data(self, data):
        if self._textarea:
            self.fields[self._textarea][-1] += data

    def handle_endtag(self, tag):
        if tag == "form" and self.inside:
            self.inside = False
        elif tag == "select":
            self._select = None
        elif tag == "textarea":
            if self._textarea:
                value = self.fields[self._textarea][-1]
                # A browser drops the one newline that opens a textarea's content.
                self.fields[self._textarea][-1] = value[1:] if value.startswith("\n") else value
            self._textarea = None


def read_form(html: str, action: str) -> dict:
    """Return {"fields": {name: [values]}, "options": {name: [choices]}, "ids": [...]}.

    `fields` holds what the form would submit untouched (hidden inputs, selected options,
    textarea text); `options` the choices of selects, checkboxes and radios. Raises
    AssertionError when the page has no form posting to `action`.
    """
    reader = _FormReader(action)
    reader.feed(html)
    assert reader.found, f"no form posts to {action}"
    return {"fields": reader.fields, "options": reader.options, "ids": reader.ids}
