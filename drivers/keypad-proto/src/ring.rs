//! A fixed-capacity FIFO without allocation (internal).

#[derive(Debug, Clone)]
pub(crate) struct Ring<T, const N: usize> {
    items: [Option<T>; N],
    head: usize,
    len: usize,
}

impl<T, const N: usize> Ring<T, N> {
    pub(crate) const fn new() -> Self {
        Ring { items: [const { None }; N], head: 0, len: 0 }
    }

    pub(crate) fn len(&self) -> usize {
        self.len
    }

    pub(crate) fn is_full(&self) -> bool {
        self.len >= N
    }

    /// Appends `item`, or hands it back when full.
    pub(crate) fn push(&mut self, item: T) -> Result<(), T> {
        if self.is_full() {
            return Err(item);
        }
        let at = (self.head + self.len) % N;
        match self.items.get_mut(at) {
            Some(slot) => {
                *slot = Some(item);
                self.len += 1;
                Ok(())
            }
            None => Err(item),
        }
    }

    pub(crate) fn pop(&mut self) -> Option<T> {
        if self.len == 0 {
            return None;
        }
        let item = self.items.get_mut(self.head)?.take();
        self.head = (self.head + 1) % N;
        self.len -= 1;
        item
    }

    pub(crate) fn front(&self) -> Option<&T> {
        if self.len == 0 { None } else { self.items.get(self.head)?.as_ref() }
    }

    pub(crate) fn front_mut(&mut self) -> Option<&mut T> {
        if self.len == 0 { None } else { self.items.get_mut(self.head)?.as_mut() }
    }

    pub(crate) fn clear(&mut self) {
        while self.pop().is_some() {}
    }
}

#[cfg(test)]
mod tests {
    use super::Ring;

    #[test]
    fn ring_is_fifo_across_wraparound_and_refuses_when_full() {
        let mut r: Ring<u32, 3> = Ring::new();
        for round in 0..5u32 {
            assert_eq!(r.push(round * 10), Ok(()));
            assert_eq!(r.push(round * 10 + 1), Ok(()));
            assert_eq!(r.push(round * 10 + 2), Ok(()));
            assert_eq!(r.push(99), Err(99));
            assert_eq!(r.front(), Some(&(round * 10)));
            assert_eq!(r.pop(), Some(round * 10));
            assert_eq!(r.pop(), Some(round * 10 + 1));
            assert_eq!(r.pop(), Some(round * 10 + 2));
            assert_eq!(r.pop(), None);
        }
    }

    #[test]
    fn zero_capacity_ring_never_panics() {
        let mut r: Ring<u8, 0> = Ring::new();
        assert_eq!(r.push(1), Err(1));
        assert_eq!(r.pop(), None);
        assert_eq!(r.front(), None);
    }
}
