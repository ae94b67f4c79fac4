//! `doctor`: the daemon, the CLI, buildx and the builder, and how to fix what is missing. Exits 1
//! when nothing can build. The examination is [`crate::source::docker_setup`]; this says it.

use super::output::write_out;
use super::Outcome;
use crate::cli::DoctorArgs;
use crate::exit::Exit;
use crate::source::docker_setup::{self, Diagnosis};

pub fn run(args: DoctorArgs) -> Outcome {
    let d = docker_setup::diagnose(&args.bin.docker);
    write_out(&render(&d, &args.bin.docker))?;
    Ok(Exit::of_build(!d.can_build()))
}

/// One line a finding (`ok ` or `NO `), its fix under it, then what a build would do here.
fn render(d: &Diagnosis, docker: &str) -> String {
    let mut s = String::new();
    for f in &d.findings {
        s.push_str(&format!(
            "{} {}\n",
            if f.ok { "ok " } else { "NO " },
            f.what
        ));
        if let Some(fix) = &f.fix {
            s.push_str(&format!("    fix: {fix}\n"));
        }
    }
    s.push('\n');
    s.push_str(&d.verdict(docker));
    s.push('\n');
    s
}
