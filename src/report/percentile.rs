//! Nearest-rank percentiles (REPORT.md): with `n` values sorted ascending, `pQ` is the value at
//! 1-based position `ceil(Q * n / 100)`, at least 1; none without values.

use serde::{Deserialize, Serialize};

/// `p50`, `p90` and `p99` of a set of values, `null` when there are none.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct Percentiles {
    pub p50: Option<i64>,
    pub p90: Option<i64>,
    pub p99: Option<i64>,
}

impl Percentiles {
    /// Sorts `values` in place.
    pub fn of(values: &mut [i64]) -> Percentiles {
        values.sort_unstable();
        Percentiles { p50: nearest_rank(values, 50), p90: nearest_rank(values, 90), p99: nearest_rank(values, 99) }
    }
}

/// `sorted` ascending.
pub fn nearest_rank(sorted: &[i64], q: u64) -> Option<i64> {
    let n = sorted.len() as u64;
    if n == 0 {
        return None;
    }
    let rank = (q * n).div_ceil(100).max(1);
    Some(sorted[(rank - 1) as usize])
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ranks_are_the_ceiling_of_q_n_over_100() {
        let values: Vec<i64> = (1..=10).collect();
        assert_eq!(nearest_rank(&values, 50), Some(5));
        assert_eq!(nearest_rank(&values, 90), Some(9));
        // ceil(99 * 10 / 100) = 10
        assert_eq!(nearest_rank(&values, 99), Some(10));
        assert_eq!(nearest_rank(&[7], 50), Some(7));
        assert_eq!(nearest_rank(&[], 50), None);
        let hundred_and_one: Vec<i64> = (1..=101).collect();
        // ceil(50 * 101 / 100) = 51; ceil(99 * 101 / 100) = 100
        assert_eq!(nearest_rank(&hundred_and_one, 50), Some(51));
        assert_eq!(nearest_rank(&hundred_and_one, 99), Some(100));
    }

    #[test]
    fn unsorted_values_are_sorted_first() {
        let mut values = vec![30, 10, 20];
        assert_eq!(Percentiles::of(&mut values), Percentiles { p50: Some(20), p90: Some(30), p99: Some(30) });
        assert_eq!(Percentiles::of(&mut []), Percentiles::default());
    }
}
