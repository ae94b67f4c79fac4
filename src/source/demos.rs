//! The recordings `buildx-gantt demo` plays (a source of bytes like a saved file), compiled into
//! the binary so a demo works anywhere (on stage, offline, from `cargo install`). The command is
//! `commands/demo.rs`.

pub struct Demo {
    pub name: &'static str,
    /// The title line shown above the chart.
    pub title: &'static str,
    pub about: &'static str,
    pub log: &'static [u8],
    /// The build's Dockerfile, when it is ours to ship.
    pub dockerfile: Option<&'static str>,
}

pub const DEMOS: &[Demo] = &[
    Demo {
        name: "race-fail",
        title: "The race that fails: stage-2 reads the cache before builder fills it",
        about: "Dockerfiles/race, a cold build that failed (9 runs in 20 do)",
        log: include_bytes!("../../assets/race-fail.jsonl"),
        dockerfile: Some(include_str!("../../Dockerfiles/race/Dockerfile")),
    },
    Demo {
        name: "race-pass",
        title:
            "The same race, won by builder this time: the build passes, the hazard is still there",
        about: "Dockerfiles/race, a cold build that passed",
        log: include_bytes!("../../assets/race-pass.jsonl"),
        dockerfile: Some(include_str!("../../Dockerfiles/race/Dockerfile")),
    },
    Demo {
        name: "workaround",
        title: "The workaround: COPY --from=builder /src/.cookie orders the two cache steps",
        about: "Dockerfiles/workaround, passes every time (10 of 10)",
        log: include_bytes!("../../assets/workaround.jsonl"),
        dockerfile: Some(include_str!("../../Dockerfiles/workaround/Dockerfile")),
    },
    Demo {
        name: "seed-bug",
        title: "The original bug report: a plain log, its timeline reconstructed",
        about: "naftulikay/docker-buildx-race-condition bug.log (--progress plain, buildx v0.11)",
        log: include_bytes!("../../assets/seed-bug.log"),
        dockerfile: None,
    },
    Demo {
        name: "seed-workaround",
        title: "The original report's workaround: a plain log, no hazard",
        about: "naftulikay/docker-buildx-race-condition workaround.log (--progress plain)",
        log: include_bytes!("../../assets/seed-workaround.log"),
        dockerfile: None,
    },
];

pub fn find(name: &str) -> Option<&'static Demo> {
    DEMOS.iter().find(|d| d.name == name)
}
