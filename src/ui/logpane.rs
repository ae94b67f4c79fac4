//! The details pane's log: whether the pane is open, how far the log is scrolled back from its end
//! (0 follows new lines), and the selected step's lines kept between frames.

use crate::analysis::Step;
use crate::chart::RowKey;
use crate::model::{Build, LogLine};

#[derive(Debug, Default)]
pub struct LogPane {
    open: bool,
    /// Lines scrolled back from the end; 0 follows the end.
    scroll: usize,
    /// The shown step's lines: its row, the bytes seen when they were taken, the lines.
    cache: Option<(RowKey, u64, Vec<LogLine>)>,
}

impl LogPane {
    pub fn is_open(&self) -> bool {
        self.open
    }

    pub fn scroll(&self) -> usize {
        self.scroll
    }

    pub fn toggle(&mut self) {
        self.open = !self.open;
        self.scroll = 0;
    }

    pub fn close(&mut self) {
        self.open = false;
    }

    /// Opens the pane at the end of the log, following it.
    pub fn follow(&mut self) {
        self.open = true;
        self.scroll = 0;
    }

    /// Back towards the start by a page of `page` lines (opening the pane).
    pub fn back(&mut self, page: usize) {
        self.open = true;
        self.scroll_back(page.max(1), page);
    }

    /// Back by `n` lines, never past the first page of `page` lines.
    pub fn scroll_back(&mut self, n: usize, page: usize) {
        let max = self.len().saturating_sub(page);
        self.scroll = (self.scroll + n).min(max);
    }

    /// Forward towards the end by `page` lines.
    pub fn forward(&mut self, page: usize) {
        self.scroll = self.scroll.saturating_sub(page.max(1));
    }

    /// A new row was selected: its log is followed from the end.
    pub fn reset(&mut self) {
        self.scroll = 0;
    }

    fn len(&self) -> usize {
        self.cache.as_ref().map_or(0, |c| c.2.len())
    }

    /// The lines of the step on row `key` (both streams, in arrival order), if they were taken.
    pub fn lines(&self, key: Option<&RowKey>) -> &[LogLine] {
        match &self.cache {
            Some((k, _, lines)) if Some(k) == key => lines,
            _ => &[],
        }
    }

    /// Takes the lines of `step` (on row `key`) again if it printed more since; forgets them
    /// when no step is selected.
    pub fn refresh(&mut self, build: &Build, selected: Option<(&RowKey, &Step)>) {
        if !self.open {
            return;
        }
        let Some((key, step)) = selected else {
            self.cache = None;
            return;
        };
        let log = |v: usize| &build.vertex(v).log;
        let total: u64 = step
            .vertexes
            .iter()
            .map(|&v| log(v).total_bytes().iter().sum::<u64>())
            .sum();
        if matches!(&self.cache, Some((k, t, _)) if k == key && *t == total) {
            return;
        }
        let lines = step.vertexes.iter().flat_map(|&v| log(v).lines()).collect();
        self.cache = Some((key.clone(), total, lines));
    }

    /// Forgets the lines (a replay starting again).
    pub fn clear(&mut self) {
        self.cache = None;
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::analysis::Analysis;
    use crate::model::{Event, EventKind, LogChunk, LogRetention, VertexUpdate};

    /// A build of one step that printed `lines`, and its analysis.
    fn build(lines: usize) -> (Build, Analysis) {
        let mut b = Build::new(LogRetention::default());
        let digest = "sha256:0".to_string();
        b.apply(Event {
            arrived: 0,
            kind: EventKind::Vertex(VertexUpdate {
                digest: digest.clone(),
                name: Some("[a 1/1] RUN x".into()),
                started: Some(0),
                ..Default::default()
            }),
        });
        for i in 0..lines {
            b.apply(Event {
                arrived: 0,
                kind: EventKind::Log(LogChunk {
                    vertex: digest.clone(),
                    stream: 1,
                    data: format!("line {i}\n").into_bytes(),
                    timestamp: Some(i as i64),
                }),
            });
        }
        let a = Analysis::of(&b, None);
        (b, a)
    }

    fn key() -> RowKey {
        RowKey::Step("[a 1/1] RUN x".into())
    }

    #[test]
    fn lines_are_taken_only_while_open_and_only_for_the_row_they_belong_to() {
        let (b, a) = build(3);
        let mut pane = LogPane::default();
        pane.refresh(&b, Some((&key(), &a.steps[0])));
        assert!(pane.lines(Some(&key())).is_empty(), "closed: nothing taken");
        pane.toggle();
        pane.refresh(&b, Some((&key(), &a.steps[0])));
        assert_eq!(pane.lines(Some(&key())).len(), 3);
        assert!(pane.lines(Some(&RowKey::Internal)).is_empty());
        pane.refresh(&b, None);
        assert!(
            pane.lines(Some(&key())).is_empty(),
            "no selection: forgotten"
        );
    }

    #[test]
    fn a_step_that_printed_more_is_taken_again() {
        let (b, a) = build(2);
        let mut pane = LogPane::default();
        pane.follow();
        pane.refresh(&b, Some((&key(), &a.steps[0])));
        let (more, a) = build(5);
        pane.refresh(&more, Some((&key(), &a.steps[0])));
        assert_eq!(pane.lines(Some(&key())).len(), 5);
    }

    #[test]
    fn scrolling_back_stops_at_the_first_page_and_forward_at_the_end() {
        let (b, a) = build(30);
        let mut pane = LogPane::default();
        pane.back(10);
        assert!(pane.is_open());
        pane.refresh(&b, Some((&key(), &a.steps[0])));
        pane.scroll_back(100, 10);
        assert_eq!(pane.scroll(), 20, "no further back than the first page");
        pane.forward(15);
        assert_eq!(pane.scroll(), 5);
        pane.forward(15);
        assert_eq!(pane.scroll(), 0, "follows the end again");
        pane.scroll_back(3, 10);
        pane.reset();
        assert_eq!(pane.scroll(), 0);
        pane.toggle();
        assert!(!pane.is_open());
    }
}
