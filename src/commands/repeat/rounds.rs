//! `repeat`'s loop: each run built ([`crate::source::repeat`]), its image checked when asked
//! (`--verify-layers`), analysed and told ([`crate::analysis::repeat`]), the build cache emptied
//! every K. The table screen and the text output both watch it through [`Progress`].

use std::sync::atomic::Ordering;

use crate::analysis::repeat::{
    cache_orders, cached_steps, failure_reason, miniature, Progress, RunResult,
};
use crate::analysis::Analysis;
use crate::commands::verify_layers::verify;
use crate::source::repeat::{run_build, Plan, Ran, Stop};

/// Runs the loop, telling `tell` as it goes.
pub fn run(plan: &Plan, stop: &Stop, tell: &mut dyn FnMut(Progress)) {
    if let Err(e) = std::fs::create_dir_all(plan.record_dir()) {
        tell(Progress::Error(format!(
            "cannot create {}: {e}",
            plan.record_dir().display()
        )));
        return;
    }
    for i in 0..plan.runs {
        if stop.after_run.load(Ordering::SeqCst) {
            break;
        }
        let reset = if plan.reset_every > 0 && i % plan.reset_every == 0 {
            match plan.request.prune() {
                Ok(s) => Some(s),
                Err(e) => {
                    tell(Progress::Error(e));
                    return;
                }
            }
        } else {
            None
        };
        tell(Progress::Starting {
            run: i + 1,
            reset: reset.clone(),
        });
        match run_one(plan, i + 1, reset, stop) {
            Ok(r) => {
                let interrupted = r.interrupted;
                tell(Progress::Finished(Box::new(r)));
                if interrupted {
                    break;
                }
            }
            Err(e) => {
                tell(Progress::Error(e));
                return;
            }
        }
    }
    tell(Progress::Done);
}

fn run_one(plan: &Plan, run: u32, reset: Option<String>, stop: &Stop) -> Result<RunResult, String> {
    let Ran {
        build,
        exit,
        interrupted,
        seconds,
        recording,
        image_id,
    } = run_build(plan, run, stop)?;
    let analysis = Analysis::of(&build, plan.request.parsed.as_ref());
    let mut reason = if interrupted {
        Some("interrupted".to_string())
    } else if exit != 0 {
        Some(failure_reason(&build, &analysis))
    } else {
        None
    };
    let mut layers_said = None;
    if plan.request.verify_layers && exit == 0 && !interrupted {
        let target = plan.request.target.as_deref();
        match verify(image_id, plan.request.parsed.as_ref(), target) {
            Ok(c) => {
                if !c.ok() {
                    reason = Some(c.describe());
                }
                layers_said = Some(c.describe());
            }
            Err(e) => layers_said = Some(format!("not checked: {e}")),
        }
    }
    let (activity, overlap) = miniature(&analysis);
    Ok(RunResult {
        run,
        passed: reason.is_none(),
        exit,
        reason,
        seconds,
        cache_reset: reset,
        cached_steps: cached_steps(&analysis),
        hazards: cache_orders(&analysis),
        recording,
        activity,
        overlap,
        layers: layers_said,
        interrupted,
    })
}
