//! A list that is almost always one item long (a step's vertexes, runs, inputs; a vertex's inputs), kept inline
//! when it is: a huge build has one of each per step, and a one-item `Vec` costs a heap block.

use std::ops::Deref;

#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub enum Few<T> {
    #[default]
    Empty,
    One(T),
    Many(Box<[T]>),
}

impl<T> Deref for Few<T> {
    type Target = [T];
    fn deref(&self) -> &[T] {
        match self {
            Few::Empty => &[],
            Few::One(x) => std::slice::from_ref(x),
            Few::Many(xs) => xs,
        }
    }
}

impl<'a, T> IntoIterator for &'a Few<T> {
    type Item = &'a T;
    type IntoIter = std::slice::Iter<'a, T>;
    fn into_iter(self) -> Self::IntoIter {
        self.iter()
    }
}

impl<T> From<Vec<T>> for Few<T> {
    fn from(mut v: Vec<T>) -> Few<T> {
        match v.len() {
            0 => Few::Empty,
            1 => Few::One(v.pop().expect("one")),
            _ => Few::Many(v.into_boxed_slice()),
        }
    }
}

impl<T: Clone> Few<T> {
    pub fn push(&mut self, x: T) {
        let mut v = self.to_vec();
        v.push(x);
        *self = v.into();
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn it_reads_as_the_list_it_was_made_from() {
        for n in 0..4 {
            let v: Vec<usize> = (0..n).collect();
            let mut f = Few::from(v.clone());
            assert_eq!(&*f, v.as_slice());
            f.push(9);
            assert_eq!(f.last(), Some(&9));
            assert_eq!(f.len(), n + 1);
        }
        assert!(std::mem::size_of::<Few<usize>>() <= 24);
    }
}
