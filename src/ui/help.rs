//! The help overlay, drawn from the key table: every screen lists the keys it answers to, in two
//! columns so the whole table fits 80×24, with lines of its own under them (the chart's legend).

use ratatui::buffer::Buffer;
use ratatui::layout::Rect;
use ratatui::style::{Modifier, Style};
use ratatui::text::{Line, Span};
use ratatui::widgets::{Block, Borders, Clear, Paragraph, Widget};

use super::keys::{key_name, Action, BINDINGS};

/// What a screen offers: every action of the key table (the chart), or these, in its own words.
pub enum Offer {
    All,
    Only(&'static [(Action, &'static str)]),
}

/// The keys and what they do, in the key table's order.
pub fn entries(offer: &Offer) -> Vec<(String, &'static str)> {
    let words = |b: &super::keys::Binding| match offer {
        Offer::All => Some(b.help),
        Offer::Only(list) => list.iter().find(|(a, _)| *a == b.action).map(|(_, w)| *w),
    };
    BINDINGS
        .iter()
        .filter_map(|b| {
            let keys: Vec<String> = b.keys.iter().map(key_name).collect();
            words(b).map(|w| (keys.join(" "), w))
        })
        .collect()
}

/// Draws the overlay in the middle of `area`: the keys `offer` lists, then `extra` lines.
pub fn render(area: Rect, buf: &mut Buffer, offer: &Offer, extra: Vec<Line<'static>>) {
    let bold = Style::new().add_modifier(Modifier::BOLD);
    let keys = entries(offer);
    let entry = |i: usize| -> Vec<Span<'static>> {
        keys.get(i).map_or_else(Vec::new, |(k, w)| {
            vec![
                Span::styled(format!(" {k:<10}"), bold),
                Span::raw(format!("{w:<28}")),
            ]
        })
    };
    let half = keys.len().div_ceil(2);
    let mut lines: Vec<Line> = (0..half)
        .map(|i| {
            let mut spans = entry(i);
            spans.extend(entry(i + half));
            Line::from(spans)
        })
        .collect();
    lines.extend(extra);
    let h = (lines.len() as u16 + 2).min(area.height);
    let w = 80.min(area.width);
    let r = Rect::new(
        area.x + (area.width - w) / 2,
        area.y + (area.height - h) / 2,
        w,
        h,
    );
    Clear.render(r, buf);
    let block = Block::default()
        .borders(Borders::ALL)
        .title(" keys (any key closes) ");
    Paragraph::new(lines).block(block).render(r, buf);
}
