//! `doctor`: the daemon, the CLI, buildx and the builder, and how to fix what is missing. Exits 1
//! when nothing can build.

use super::output::write_out;
use super::Outcome;
use crate::cli::DoctorArgs;
use crate::doctor;
use crate::exit::Exit;

pub fn run(args: DoctorArgs) -> Outcome {
    let d = doctor::diagnose(&args.bin.docker);
    write_out(&d.render(&args.bin.docker))?;
    Ok(Exit::of_build(!d.can_build()))
}
