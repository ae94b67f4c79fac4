//! Where each part of the screen goes. The view draws into these areas and returns them; the
//! app keeps the last ones drawn, so mouse clicks and paging are resolved against what the user
//! actually sees.

use ratatui::layout::{Constraint, Layout, Rect};

pub const MIN_WIDTH: u16 = 80;
pub const MIN_HEIGHT: u16 = 24;

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Areas {
    pub title: Rect,
    pub axis: Rect,
    pub chart: Rect,
    pub details: Option<Rect>,
    pub status: Rect,
    /// Columns of the label at the left of the chart.
    pub label_w: u16,
}

/// The areas of a screen of `area` (with the details pane when `details`).
pub fn areas(area: Rect, details: bool) -> Areas {
    let details_h = if details {
        (area.height * 2 / 5).max(9)
    } else {
        0
    };
    let [title, axis, chart, pane, status] = Layout::vertical([
        Constraint::Length(1),
        Constraint::Length(1),
        Constraint::Min(1),
        Constraint::Length(details_h),
        Constraint::Length(2),
    ])
    .areas(area);
    Areas {
        title,
        axis,
        chart,
        details: details.then_some(pane),
        status,
        label_w: (area.width * 7 / 20).clamp(24, 52),
    }
}
