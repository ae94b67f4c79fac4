//! Multi-platform builds (`--platform linux/amd64,linux/386`): which platform each step belongs
//! to. BuildKit prefixes only some names with their platform (`[linux/amd64 stage-2 3/4]`); most
//! steps of every platform carry the same name (`[builder 2/3]` once per platform, different
//! digests), and a step the platforms share may carry one platform's prefix (`[linux/amd64 base
//! 1/1] COPY rootfs/ /` when `FROM scratch` is the same everywhere). So the graph decides: a step
//! belongs to the platforms of the prefixed steps that stand on it (itself included); to exactly
//! one, it is that platform's; to several, it is shared. A step no prefixed step stands on takes
//! the platform of its inputs (`[stage-2 4/4]` after `[linux/amd64 stage-2 3/4]`).

use super::steps::Step;

/// At most this many platforms are told apart (one bit each).
const MAX_PLATFORMS: usize = 64;

/// Sets each step's platform and, for a step of one platform, makes its stage that platform's
/// (`builder · linux/amd64`). A build without platform prefixes is left as it is.
pub fn attribute(steps: &mut [Step]) {
    let mut names: Vec<String> = Vec::new();
    let own: Vec<u64> = steps
        .iter()
        .map(|s| s.parsed.platform().map_or(0, |p| bit(&mut names, p)))
        .collect();
    if names.is_empty() {
        return;
    }
    let order = topological(steps);
    // Downward: the platforms of the prefixed steps that stand on each step.
    let mut users: Vec<u64> = own.clone();
    for &s in order.iter().rev() {
        for &i in &steps[s].inputs {
            users[i] |= users[s];
        }
    }
    // Upward, for steps nothing prefixed stands on: their inputs' single platform.
    let mut of: Vec<u64> = users.iter().map(|&m| single(m)).collect();
    for &s in &order {
        if users[s] == 0 {
            let from_inputs = steps[s].inputs.iter().fold(0, |m, &i| m | of[i]);
            of[s] = single(from_inputs);
        }
    }
    for (s, mask) in steps.iter_mut().zip(of) {
        if mask == 0 {
            continue;
        }
        let p = names[mask.trailing_zeros() as usize].clone();
        if let Some(stage) = &mut s.stage {
            *stage = format!("{stage} · {p}").into();
        }
        s.rare_mut().platform = Some(p.into());
    }
}

/// The bit of platform `p`, adding it to `names` if new (beyond [`MAX_PLATFORMS`], none).
fn bit(names: &mut Vec<String>, p: &str) -> u64 {
    let i = match names.iter().position(|n| n == p) {
        Some(i) => i,
        None if names.len() < MAX_PLATFORMS => {
            names.push(p.to_string());
            names.len() - 1
        }
        None => return 0,
    };
    1 << i
}

/// `mask` when it holds exactly one platform, else none.
fn single(mask: u64) -> u64 {
    if mask.count_ones() == 1 {
        mask
    } else {
        0
    }
}

/// The steps, every one after its inputs (a cycle, which a real graph never has, is cut).
fn topological(steps: &[Step]) -> Vec<usize> {
    let mut state = vec![0u8; steps.len()]; // 0 new, 1 on the stack, 2 done
    let mut out = Vec::with_capacity(steps.len());
    for root in 0..steps.len() {
        if state[root] != 0 {
            continue;
        }
        let mut stack: Vec<(usize, usize)> = vec![(root, 0)];
        state[root] = 1;
        while let Some(&mut (s, ref mut next)) = stack.last_mut() {
            if let Some(&i) = steps[s].inputs.get(*next) {
                *next += 1;
                if state[i] == 0 {
                    state[i] = 1;
                    stack.push((i, 0));
                }
            } else {
                state[s] = 2;
                out.push(s);
                stack.pop();
            }
        }
    }
    out
}
