//! Line breaking by measured advances.

use super::{Face, Fonts};

/// `text` broken into lines no wider than `width` points: at spaces where possible, inside a
/// word only when the word alone is wider than the line. Nothing is dropped.
pub(crate) fn wrap_lines(fonts: &Fonts, face: Face, size: f32, text: &str, width: f32) -> Vec<String> {
    let loaded = fonts.face(face);
    let space = loaded.glyph(' ').1 * size;
    let mut lines = Vec::new();
    for paragraph in text.split('\n') {
        let mut line = String::new();
        let mut line_width = 0.0f32;
        for word in paragraph.split(' ').filter(|w| !w.is_empty()) {
            let word_width = loaded.width(word, size);
            let needed = if line.is_empty() {
                word_width
            } else {
                line_width + space + word_width
            };
            if needed <= width {
                if !line.is_empty() {
                    line.push(' ');
                }
                line.push_str(word);
                line_width = needed;
                continue;
            }
            if !line.is_empty() {
                lines.push(std::mem::take(&mut line));
                line_width = 0.0;
            }
            if word_width <= width {
                line.push_str(word);
                line_width = word_width;
                continue;
            }
            // A word wider than the line: break it between characters.
            for c in word.chars() {
                let advance = loaded.glyph(c).1 * size;
                if line_width + advance > width && !line.is_empty() {
                    lines.push(std::mem::take(&mut line));
                    line_width = 0.0;
                }
                line.push(c);
                line_width += advance;
            }
        }
        lines.push(line);
    }
    while lines.len() > 1 && lines.last().is_some_and(String::is_empty) {
        lines.pop();
    }
    lines
}

/// The largest size from `size` down to `min_size` (in half points) at which `text` fits in
/// `max_lines` lines of `width`, with its lines; at `min_size` the text takes as many lines as it
/// needs (the caller's box grows), so it is never cut.
pub(crate) fn fit_lines(
    fonts: &Fonts,
    face: Face,
    size: f32,
    min_size: f32,
    text: &str,
    width: f32,
    max_lines: usize,
) -> (f32, Vec<String>) {
    let mut current = size;
    loop {
        let lines = wrap_lines(fonts, face, current, text, width);
        if lines.len() <= max_lines || current - 0.5 < min_size {
            return (current, lines);
        }
        current -= 0.5;
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn lines_never_exceed_the_width_and_keep_every_character() {
        let fonts = Fonts::get().unwrap();
        let text = "Comune di test test test test test test test   end Supercalifragilistichespiralidoso";
        for width in [40.0, 80.0, 150.0, 400.0] {
            let lines = wrap_lines(fonts, Face::Regular, 10.0, text, width);
            for line in &lines {
                assert!(
                    fonts.width(Face::Regular, line, 10.0) <= width + 0.01,
                    "{line:?} wider than {width}"
                );
            }
            let joined: String = lines.concat().split_whitespace().collect();
            let original: String = text.split_whitespace().collect();
            assert_eq!(joined, original);
        }
    }

    #[test]
    fn fitting_shrinks_then_grows_the_box() {
        let fonts = Fonts::get().unwrap();
        let text = "Avviso di pagamento della tassa sui rifiuti per l'anno 2026";
        let (size, lines) = fit_lines(fonts, Face::Bold, 16.0, 10.0, text, 200.0, 1);
        assert!(size < 16.0);
        assert!(!lines.is_empty());
        let (_, many) = fit_lines(fonts, Face::Bold, 16.0, 10.0, &text.repeat(4), 200.0, 1);
        assert!(many.len() > 1);
    }
}
