//! The chart's rows on the screen: which groups are folded, which row is selected (it follows its
//! row while the build changes), and how far the list is scrolled.

use crate::analysis::{Analysis, StepId};
use crate::chart::{self, Choices, Row, RowKey, RowKind};

#[derive(Debug, Default)]
pub struct RowList {
    choices: Choices,
    rows: Vec<Row>,
    selected: usize,
    selected_key: Option<RowKey>,
    /// First row shown.
    offset: usize,
}

impl RowList {
    pub fn rows(&self) -> &[Row] {
        &self.rows
    }

    pub fn selected(&self) -> usize {
        self.selected
    }

    pub fn selected_row(&self) -> Option<&Row> {
        self.rows.get(self.selected)
    }

    pub fn selected_key(&self) -> Option<&RowKey> {
        self.selected_key.as_ref()
    }

    pub fn offset(&self) -> usize {
        self.offset
    }

    /// Whether the chart marks the critical path.
    pub fn critical(&self) -> bool {
        self.choices.critical
    }

    /// In a comparison: the build before, drawn under this one.
    pub fn set_ghost(&mut self, ghost: Option<std::sync::Arc<chart::Ghost>>) {
        self.choices.ghost = ghost;
    }

    pub fn toggle_critical(&mut self) {
        self.choices.critical = !self.choices.critical;
    }

    /// Shows the next of `platforms` alone, after the last one all of them; returns the one shown.
    pub fn next_platform(&mut self, platforms: &[&str]) -> Option<&str> {
        let now = self.choices.platform.as_deref();
        let next = match now.and_then(|p| platforms.iter().position(|q| *q == p)) {
            None => platforms.first(),
            Some(i) => platforms.get(i + 1),
        };
        self.choices.platform = next.map(|p| p.to_string());
        self.choices.platform.as_deref()
    }

    /// The rows again from `a`, the selection kept on its row.
    pub fn rebuild(&mut self, a: &Analysis, finished: bool, visible: usize) {
        self.choices.finished = finished;
        self.rows = chart::rows(a, &self.choices);
        if let Some(key) = &self.selected_key {
            if let Some(i) = self.rows.iter().position(|r| &r.key == key) {
                self.selected = i;
            }
        }
        self.selected = self.selected.min(self.rows.len().saturating_sub(1));
        self.selected_key = self.rows.get(self.selected).map(|r| r.key.clone());
        self.scroll_to_selection(visible);
    }

    /// Selects row `i` (clamped); returns whether the selection moved.
    pub fn select(&mut self, i: usize, visible: usize) -> bool {
        if self.rows.is_empty() {
            return false;
        }
        let i = i.min(self.rows.len() - 1);
        let moved = i != self.selected;
        self.selected = i;
        self.selected_key = Some(self.rows[i].key.clone());
        self.scroll_to_selection(visible);
        moved
    }

    fn scroll_to_selection(&mut self, visible: usize) {
        let h = visible.max(1);
        if self.selected < self.offset {
            self.offset = self.selected;
        } else if self.selected >= self.offset + h {
            self.offset = self.selected + 1 - h;
        }
        self.offset = self.offset.min(self.rows.len().saturating_sub(h));
    }

    /// Folds or unfolds the selected group; on a step, folds its group and selects that.
    pub fn toggle(&mut self, a: &Analysis, visible: usize) {
        match self.selected_row().map(|r| r.kind.clone()) {
            Some(RowKind::Internal(_)) => self.choices.internal_open ^= true,
            Some(RowKind::Stage(i)) => {
                let name = &a.stages[i].name;
                if !self.choices.collapsed.remove(name) {
                    self.choices.collapsed.insert(name.clone());
                }
            }
            Some(RowKind::Step(id)) => self.fold_around(a, id),
            Some(RowKind::Alongside(_)) | None => {}
        }
        self.rebuild(a, self.choices.finished, visible);
    }

    /// Folds the group of step `id` and selects the group.
    fn fold_around(&mut self, a: &Analysis, id: StepId) {
        match &a.steps[id].stage {
            Some(stage) => {
                self.choices.collapsed.insert(stage.to_string());
                self.selected_key = Some(RowKey::Stage(stage.to_string()));
            }
            None => {
                self.choices.internal_open = false;
                self.selected_key = Some(RowKey::Internal);
            }
        }
    }

    /// Unfolds everything, or folds everything when all is unfolded.
    pub fn toggle_all(&mut self, a: &Analysis, visible: usize) {
        let all_open = self.choices.internal_open && self.choices.collapsed.is_empty();
        if all_open {
            self.choices.internal_open = false;
            self.choices.collapsed = a.stages.iter().map(|s| s.name.clone()).collect();
            if let Some(RowKind::Step(id)) = self.selected_row().map(|r| r.kind.clone()) {
                self.fold_around(a, id);
            }
        } else {
            self.choices.internal_open = true;
            self.choices.collapsed.clear();
        }
        self.rebuild(a, self.choices.finished, visible);
    }

    /// Unfolds the groups of `ids`, then selects the next (or previous) of their rows after the
    /// selection, wrapping around.
    pub fn jump(&mut self, a: &Analysis, ids: &[StepId], forward: bool, visible: usize) {
        for &id in ids {
            match &a.steps[id].stage {
                Some(stage) => _ = self.choices.collapsed.remove(&**stage),
                None => self.choices.internal_open = true,
            }
        }
        self.rebuild(a, self.choices.finished, visible);
        let rows: Vec<usize> = (0..self.rows.len())
            .filter(|&i| matches!(self.rows[i].kind, RowKind::Step(id) if ids.contains(&id)))
            .collect();
        let next = if forward {
            rows.iter().find(|&&i| i > self.selected).or(rows.first())
        } else {
            let mut back = rows.iter().rev();
            back.find(|&&i| i < self.selected).or(rows.last())
        };
        if let Some(&i) = next {
            self.select(i, visible);
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn build(names: &[&str]) -> Analysis {
        crate::analysis::of_names(names)
    }

    #[test]
    fn the_selection_follows_its_row_and_folding_a_step_selects_its_stage() {
        let a = build(&["[a 1/2] RUN x", "[a 2/2] RUN y", "[b 1/1] RUN z"]);
        let mut rows = RowList::default();
        rows.rebuild(&a, true, 10);
        let labels: Vec<&str> = rows.rows().iter().map(|r| r.label.as_str()).collect();
        assert_eq!(labels, ["a", "1/2 RUN x", "2/2 RUN y", "b", "1/1 RUN z"]);
        rows.select(2, 10);
        rows.toggle(&a, 10);
        assert_eq!(rows.selected_key(), Some(&RowKey::Stage("a".into())));
        assert_eq!(rows.rows().len(), 3);
        rows.toggle_all(&a, 10);
        assert_eq!(rows.rows().len(), 5);
        assert_eq!(rows.selected(), 0);
    }

    #[test]
    fn scrolling_keeps_the_selection_in_view() {
        let a = build(&["[a 1/3] RUN x", "[a 2/3] RUN y", "[a 3/3] RUN z"]);
        let mut rows = RowList::default();
        rows.rebuild(&a, true, 2);
        rows.select(3, 2);
        assert_eq!(rows.offset(), 2);
        rows.select(0, 2);
        assert_eq!(rows.offset(), 0);
    }
}
