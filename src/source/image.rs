//! What the daemon says about an image a build left: its layers and history, and its base
//! image's, for `--verify-layers` ([`crate::analysis::layers`] compares them with the Dockerfile).

use super::engine::{self, EngineError};

/// What the daemon says about an image.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct ImageFacts {
    pub id: String,
    /// `RootFS.Layers` (diff ids), oldest first.
    pub layers: Vec<String>,
    /// What made each entry of the image's history (`CreatedBy`), oldest first.
    pub history: Vec<String>,
    /// Layers and history entries of the base image, when it is in the daemon.
    pub base: Option<(usize, usize)>,
}

/// Fetches an image's layers and history (and its base image's, when there is one).
pub async fn inspect(
    docker: &bollard::Docker,
    image: &str,
    base_image: Option<&str>,
) -> Result<ImageFacts, EngineError> {
    let api = |e: bollard::errors::Error| EngineError::Api(format!("{image}: {e}"));
    let info = docker.inspect_image(image).await.map_err(api)?;
    let layers = info.root_fs.and_then(|r| r.layers).unwrap_or_default();
    let mut history: Vec<String> = docker
        .image_history(image)
        .await
        .map_err(api)?
        .into_iter()
        .map(|h| h.created_by)
        .collect();
    history.reverse();
    let base = match base_image {
        None => Some((0, 0)),
        Some(b) => match (docker.inspect_image(b).await, docker.image_history(b).await) {
            (Ok(i), Ok(h)) => Some((
                i.root_fs.and_then(|r| r.layers).map_or(0, |l| l.len()),
                h.len(),
            )),
            _ => None,
        },
    };
    Ok(ImageFacts {
        id: info.id.unwrap_or_else(|| image.to_string()),
        layers,
        history,
        base,
    })
}

/// [`inspect`] on a runtime of its own.
pub fn inspect_blocking(image: &str, base_image: Option<&str>) -> Result<ImageFacts, EngineError> {
    engine::with_client(|d| async move {
        engine::versions(&d).await?;
        inspect(&d, image, base_image).await
    })
}
