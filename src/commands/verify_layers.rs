//! `verify-layers IMAGE -f DOCKERFILE`: the image has a layer for every RUN/COPY/ADD of its
//! target stage.

use color_eyre::eyre::eyre;

use super::output::{read_dockerfile, write_out};
use super::Outcome;
use crate::cli::VerifyLayersArgs;
use crate::exit::Exit;
use crate::layers;

pub fn run(args: VerifyLayersArgs) -> Outcome {
    let df = read_dockerfile(&args.dockerfile, &args.build_args)?;
    let target = args.target.as_deref();
    let check =
        layers::verify(Some(args.image.clone()), Some(&df), target).map_err(|e| eyre!(e))?;
    write_out(&format!("{}\n", check.describe()))?;
    Ok(Exit::of_build(!check.ok()))
}
