//! `verify-layers IMAGE -f DOCKERFILE`: the image has a layer for every RUN/COPY/ADD of its
//! target stage. [`verify`] is the whole of `--verify-layers`, for this command, the build and
//! `repeat`.

use color_eyre::eyre::eyre;

use super::output::{read_dockerfile, write_out};
use super::Outcome;
use crate::analysis::layers::{check, expected, LayerCheck};
use crate::cli::VerifyLayersArgs;
use crate::dockerfile::Dockerfile;
use crate::exit::Exit;
use crate::source::image::inspect_blocking;

pub fn run(args: VerifyLayersArgs) -> Outcome {
    let df = read_dockerfile(&args.dockerfile, &args.build_args)?;
    let target = args.target.as_deref();
    let check = verify(Some(args.image.clone()), Some(&df), target).map_err(|e| eyre!(e))?;
    write_out(&format!("{}\n", check.describe()))?;
    Ok(Exit::of_build(!check.ok()))
}

/// Checks the image a build left (`image`) against its Dockerfile: the whole of
/// `--verify-layers`, for the build, `repeat` and `verify-layers`.
pub(super) fn verify(
    image: Option<String>,
    dockerfile: Option<&Dockerfile>,
    target: Option<&str>,
) -> Result<LayerCheck, String> {
    let image = image.ok_or(
        "the build left no image in the daemon to check (with buildx, use the docker driver or --load)",
    )?;
    let df = dockerfile
        .ok_or("the Dockerfile could not be read, so there is nothing to compare with")?;
    let expected = expected(df, target)?;
    let facts =
        inspect_blocking(&image, expected.base_image.as_deref()).map_err(|e| e.to_string())?;
    Ok(check(&expected, &facts))
}
