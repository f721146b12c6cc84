"""HTML and PDF packs: Jinja2 templates (autoescaped) and WeasyPrint with a locked-down fetcher."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from jinja2 import Environment, FileSystemLoader, StrictUndefined, select_autoescape

from tees_dataset.render.context import PackContext


def templates_dir() -> Path:
    """The templates/ folder of the source tree, or the copy packaged in the wheel."""
    package = Path(__file__).resolve().parent.parent
    for candidate in (package.parent / "templates", package / "_templates"):
        if (candidate / "pack.html.j2").is_file():
            return candidate
    raise FileNotFoundError("the pack templates were not found beside the package")


def environment() -> Environment:
    return Environment(
        loader=FileSystemLoader(templates_dir()),
        autoescape=select_autoescape(["html", "j2", "xml", "svg"], default=True),
        undefined=StrictUndefined,
        trim_blocks=True,
        lstrip_blocks=True,
    )


def render_html(context: PackContext) -> str:
    template = environment().get_template("pack.html.j2")
    css = (templates_dir() / "pack.css").read_text(encoding="utf-8")
    return template.render(pack=context, css=css)


def _asset_fetcher() -> Any:
    """A URL fetcher that serves only files inside templates/: no file://, no network."""
    from weasyprint.urls import URLFetcher, URLFetcherResponse

    root = templates_dir().resolve()

    class AssetFetcher(URLFetcher):  # type: ignore[misc]
        def fetch(self, url: str, headers: Any = None) -> Any:
            if url.startswith("file://"):
                path = Path(url.removeprefix("file://").split("?")[0]).resolve()
                if path.is_relative_to(root) and path.is_file():
                    return URLFetcherResponse(url, body=path.read_bytes())
            raise ValueError(
                f"blocked: packs load nothing from outside their templates ({url[:80]})"
            )

    return AssetFetcher()


def write_pdf(html: str, target: Path) -> None:
    """Render HTML to a tagged PDF/UA-1 file."""
    from weasyprint import HTML

    document = HTML(string=html, base_url=str(templates_dir()) + "/", url_fetcher=_asset_fetcher())
    document.write_pdf(target, pdf_variant="pdf/ua-1", pdf_tags=True)


def warm_up() -> None:
    """Load WeasyPrint and set up its fonts (the first layout in a process pays for both)."""
    from weasyprint import HTML

    HTML(string="<p>tees-dataset</p>").write_pdf()


def render_pack(context: PackContext, pdf_path: Path, html_path: Path | None = None) -> None:
    """Write one partnership's pack (and its HTML when asked); run in its own process."""
    html = render_html(context)
    if html_path is not None:
        html_path.write_text(html, encoding="utf-8")
    write_pdf(html, pdf_path)
