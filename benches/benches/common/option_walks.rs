//! The option walks of `benches/options.rs`, shared with the
//! `option_walk` example (callgrind instruction counts of the very same
//! functions the criterion bench times).

use std::hint::black_box;

use mptcp_dissect::wire::tcp_option::TcpOptions;

pub fn ours(areas: &[Vec<u8>]) -> usize {
    let mut n = 0;
    for a in areas {
        for o in TcpOptions::new(a) {
            n += usize::from(o.is_ok());
            let _ = black_box(o);
        }
    }
    n
}

/// Framing only (`next_raw`): the same walk as etherparse's raw walk, no
/// option decoded.
pub fn ours_raw(areas: &[Vec<u8>]) -> usize {
    let mut n = 0;
    for a in areas {
        let mut it = TcpOptions::new(a);
        while let Some(o) = it.next_raw() {
            n += usize::from(o.is_ok());
            let _ = black_box(o);
        }
    }
    n
}

pub fn etherparse(areas: &[Vec<u8>]) -> usize {
    let mut n = 0;
    for a in areas {
        for o in etherparse::TcpOptionsIterator::from_slice(a) {
            n += usize::from(o.is_ok());
            let _ = black_box(o);
        }
    }
    n
}

/// etherparse's iterator restarted after each option kind it does not know
/// (skipped by its length byte, not decoded): a raw walk of the whole area.
pub fn etherparse_skip(areas: &[Vec<u8>]) -> usize {
    let mut n = 0;
    for a in areas {
        let mut it = etherparse::TcpOptionsIterator::from_slice(a);
        loop {
            let before = it.rest();
            match it.next() {
                None => break,
                Some(Ok(e)) => {
                    n += 1;
                    black_box(e);
                }
                Some(Err(etherparse::TcpOptionReadError::UnknownId(_))) => {
                    match before.get(1).map(|&l| usize::from(l)) {
                        Some(l) if l >= 2 && l <= before.len() => {
                            n += 1;
                            black_box(&before[..l]);
                            it = etherparse::TcpOptionsIterator::from_slice(&before[l..]);
                        }
                        _ => break,
                    }
                }
                Some(Err(_)) => break,
            }
        }
    }
    n
}

pub fn smoltcp(areas: &[Vec<u8>]) -> usize {
    use smoltcp::wire::TcpOption;
    let mut n = 0;
    for a in areas {
        let mut rest: &[u8] = a;
        while let Ok((r, o)) = TcpOption::parse(rest) {
            n += 1;
            black_box(&o);
            if o == TcpOption::EndOfList {
                break;
            }
            rest = r;
            if rest.is_empty() {
                break;
            }
        }
    }
    n
}

pub fn has_mptcp(a: &[u8]) -> bool {
    let mut i = 0;
    while let Some(&k) = a.get(i) {
        match k {
            0 => return false,
            1 => i += 1,
            30 => return true,
            _ => match a.get(i + 1) {
                Some(&l) if l >= 2 => i += usize::from(l),
                _ => return false,
            },
        }
    }
    false
}
