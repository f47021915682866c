//! Positions, outside tools and PDF inspection shared by the integration tests.
#![allow(dead_code, unreachable_pub, clippy::unwrap_used, clippy::expect_used)]

use std::path::{Path, PathBuf};
use std::process::Command;

use chrono::{TimeZone, Utc};
use pagopa_domain::demo;
use pagopa_domain::{DebtPosition, PositionDraft};

/// A published position of the demo Comune from `draft`.
pub fn position(draft: PositionDraft) -> DebtPosition {
    let comune = demo::comune();
    DebtPosition::create(
        &comune.id,
        comune.notice_layout,
        draft,
        Utc.with_ymd_and_hms(2026, 11, 1, 9, 0, 0).unwrap(),
    )
    .unwrap()
}

/// A scratch folder for this test's files.
pub fn scratch(name: &str) -> PathBuf {
    let dir = PathBuf::from(env!("CARGO_TARGET_TMPDIR")).join(name);
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(&dir).unwrap();
    dir
}

/// Whether an outside tool runs; when it does not, the test prints a notice and skips, unless
/// `PAGOPA_REQUIRE_EXTERNAL=1`, where it fails.
pub fn tool_available(program: &str, probe: &[&str]) -> bool {
    let ok = Command::new(program)
        .args(probe)
        .output()
        .map(|o| o.status.success())
        .unwrap_or(false);
    if !ok {
        if std::env::var("PAGOPA_REQUIRE_EXTERNAL").as_deref() == Ok("1") {
            panic!("{program} is required (PAGOPA_REQUIRE_EXTERNAL=1) but does not run");
        }
        eprintln!("note: {program} is not available, test skipped (install poppler-utils / pip zxing-cpp)");
    }
    ok
}

/// Whether pdftotext, pdftoppm and Python's zxingcpp are all there.
pub fn tools() -> bool {
    tool_available("pdftotext", &["-v"])
        && tool_available("pdftoppm", &["-v"])
        && tool_available("python3", &["-c", "import zxingcpp"])
}

/// The text of a PDF, with its layout (`pdftotext -layout`).
pub fn pdf_text(pdf: &Path) -> String {
    let out = Command::new("pdftotext")
        .arg("-layout")
        .arg(pdf)
        .arg("-")
        .output()
        .unwrap();
    assert!(out.status.success(), "pdftotext failed on {}", pdf.display());
    String::from_utf8(out.stdout).unwrap()
}

/// Rasterises every page at `dpi` in grey into `dir`; returns the PGM paths in page order.
pub fn rasterise(pdf: &Path, dir: &Path, dpi: u32) -> Vec<PathBuf> {
    let prefix = dir.join(pdf.file_stem().unwrap());
    let out = Command::new("pdftoppm")
        .args(["-r", &dpi.to_string(), "-gray"])
        .arg(pdf)
        .arg(&prefix)
        .output()
        .unwrap();
    assert!(out.status.success(), "pdftoppm failed");
    let stem = prefix.file_name().unwrap().to_string_lossy().to_string();
    let mut pages: Vec<PathBuf> = std::fs::read_dir(dir)
        .unwrap()
        .filter_map(|e| e.ok().map(|e| e.path()))
        .filter(|p| {
            let name = p.file_name().unwrap().to_string_lossy();
            name.starts_with(&format!("{stem}-")) && name.ends_with(".pgm")
        })
        .collect();
    pages.sort();
    pages
}

/// A decoded symbol: its format (`QRCode`, `DataMatrix`) and its text.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord)]
pub struct Symbol {
    pub format: String,
    pub text: String,
}

const DECODE: &str = r#"
import sys, zxingcpp
for path in sys.argv[1:]:
    data = open(path, 'rb').read()
    magic, size, depth, pixels = data.split(b'\n', 3)
    w, h = map(int, size.split())
    for r in zxingcpp.read_barcodes(memoryview(pixels).cast('B', (h, w))):
        print(str(r.format).replace(' ', '') + '\t' + r.text.replace('\n', '\\n'))
"#;

/// Every QR code and Data Matrix zxing-cpp finds on the pages.
pub fn decode(pages: &[PathBuf]) -> Vec<Symbol> {
    let out = Command::new("python3")
        .arg("-c")
        .arg(DECODE)
        .args(pages)
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "zxingcpp failed: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    let mut symbols: Vec<Symbol> = String::from_utf8(out.stdout)
        .unwrap()
        .lines()
        .filter_map(|l| l.split_once('\t'))
        .map(|(format, text)| Symbol {
            format: format.to_owned(),
            text: text.replace("\\n", "\n"),
        })
        .collect();
    symbols.sort();
    symbols
}

/// The layout of a rasterised page, in points from the top left: the tops of the grey section
/// bands, and each decoded symbol's format, left, top and width.
#[derive(Debug, Clone)]
pub struct PageLayout {
    pub bands: Vec<f32>,
    pub symbols: Vec<(String, f32, f32, f32)>,
}

const LAYOUT: &str = r#"
import sys, zxingcpp
path, dpi = sys.argv[1], float(sys.argv[2])
data = open(path, 'rb').read()
magic, size, depth, pixels = data.split(b'\n', 3)
w, h = map(int, size.split())
scale = 72.0 / dpi
# A band: a row where most of the width is light grey (neither white paper nor ink).
rows = []
for y in range(h):
    row = pixels[y * w:(y + 1) * w]
    grey = sum(1 for v in row[::4] if 200 <= v <= 248)
    rows.append(grey > (w // 4) * 0.35)
start = None
for y, band in enumerate(rows + [False]):
    if band and start is None:
        start = y
    elif not band and start is not None:
        if y - start >= 4:
            print('band\t%.1f' % (start * scale))
        start = None
for r in zxingcpp.read_barcodes(memoryview(pixels).cast('B', (h, w))):
    p = r.position
    xs = [p.top_left.x, p.top_right.x, p.bottom_left.x, p.bottom_right.x]
    ys = [p.top_left.y, p.top_right.y, p.bottom_left.y, p.bottom_right.y]
    print('%s\t%.1f\t%.1f\t%.1f' % (str(r.format).replace(' ', ''), min(xs) * scale, min(ys) * scale, (max(xs) - min(xs)) * scale))
"#;

/// The bands and symbol positions of one rasterised page.
pub fn page_layout(page: &Path, dpi: u32) -> PageLayout {
    let out = Command::new("python3")
        .arg("-c")
        .arg(LAYOUT)
        .arg(page)
        .arg(dpi.to_string())
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "layout failed: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    let mut layout = PageLayout {
        bands: Vec::new(),
        symbols: Vec::new(),
    };
    for line in String::from_utf8(out.stdout).unwrap().lines() {
        let cells: Vec<&str> = line.split('\t').collect();
        match cells.as_slice() {
            ["band", top] => layout.bands.push(top.parse().unwrap()),
            [format, x, y, w] => layout.symbols.push((
                format.to_string(),
                x.parse().unwrap(),
                y.parse().unwrap(),
                w.parse().unwrap(),
            )),
            _ => {}
        }
    }
    layout
        .symbols
        .sort_by(|a, b| a.2.total_cmp(&b.2).then(a.1.total_cmp(&b.1)));
    layout
}
