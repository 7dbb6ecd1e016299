//! Every provider purge-wait knows: one line each. The first line's first name is what
//! `demo` and `simulate` use without `--provider`. `--help`, the input table, the
//! `provider` lookup of `wait`, `demo` and `simulate`, and the tests (the fault matrix, the
//! registry walk) all read this list.

use std::sync::LazyLock;

use super::cloud::Cloud;
use super::{
    alibaba, aws_cloudfront, azure_arm, azure_china, azure_classic, google_cloud_cdn, tencent,
};
use crate::config::Table;

/// The providers, in the order `--help` and error messages list them.
pub static CLOUDS: &[&dyn Cloud] = &[
    &azure_china::AzureChinaCloud,
    &azure_classic::AzureClassicCloud,
    &azure_arm::AzureArmCloud,
    &alibaba::AlibabaCloud,
    &aws_cloudfront::AwsCloudFrontCloud,
    &google_cloud_cdn::GoogleCloudCdnCloud,
    &tencent::TencentCloud,
];

/// Every provider name, in order.
pub fn names() -> impl Iterator<Item = &'static str> {
    CLOUDS.iter().flat_map(|c| c.names().iter().copied())
}

/// The cloud answering to `name` (exactly), with the name as the registry spells it.
pub fn find(name: &str) -> Option<(&'static str, &'static dyn Cloud)> {
    CLOUDS
        .iter()
        .find_map(|c| c.names().iter().find(|n| **n == name).map(|n| (*n, *c)))
}

/// What `demo` and `simulate` use without `--provider`: the first line's first name.
pub fn first() -> (&'static str, &'static dyn Cloud) {
    (CLOUDS[0].names()[0], CLOUDS[0])
}

static TABLE: LazyLock<Table> = LazyLock::new(|| {
    Table::new(
        names().collect(),
        CLOUDS.iter().flat_map(|c| c.inputs().iter().copied()),
    )
});

/// Every input — the common ones, then each provider's — each name once; and the names.
pub fn table() -> &'static Table {
    &TABLE
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::config::COMMON;

    #[test]
    fn names_are_listed_in_order_and_unique() {
        let all: Vec<_> = names().collect();
        assert_eq!(
            all.join(", "),
            "azure-china-cdn, azure-classic, azure-arm, alibaba-dcdn, alibaba-cdn, aws-cloudfront, google-cloud-cdn, tencent-cdn, tencent-edgeone"
        );
        for n in &all {
            assert_eq!(all.iter().filter(|m| *m == n).count(), 1, "{n}");
            assert_eq!(find(n).map(|(name, _)| name), Some(*n));
        }
        assert!(find("nope").is_none());
        assert_eq!(first().0, "azure-china-cdn");
    }

    #[test]
    fn an_input_name_is_declared_once() {
        let mut seen: Vec<&'static crate::config::Input> = COMMON.iter().collect();
        for cloud in CLOUDS {
            for input in cloud.inputs() {
                if let Some(other) = seen.iter().find(|i| i.name == input.name) {
                    assert!(
                        std::ptr::eq(*other, *input),
                        "{} is declared twice (a common input, or in two folders)",
                        input.name
                    );
                } else {
                    seen.push(input);
                }
            }
        }
        assert_eq!(seen.len(), table().inputs.len());
    }

    /// A shared input's variables would configure every cloud that reads it: when the
    /// folders reading an input belong to more than one vendor (the first word of their
    /// names: azure, alibaba, aws, …), each reads its own cloud's variables
    /// (`Raw::or_cloud_env`) and the input reads none.
    #[test]
    fn an_input_several_vendors_read_reads_no_cloud_variable() {
        for input in &table().inputs {
            let mut vendors: Vec<&str> = CLOUDS
                .iter()
                .filter(|c| c.inputs().iter().any(|i| std::ptr::eq(*i, *input)))
                .flat_map(|c| c.names().iter())
                .map(|n| n.split('-').next().unwrap_or(n))
                .collect();
            vendors.sort_unstable();
            vendors.dedup();
            if vendors.len() > 1 {
                assert!(
                    input.cloud_env.is_empty(),
                    "{} is read by {vendors:?} but reads {:?}",
                    input.name,
                    input.cloud_env
                );
            }
        }
    }

    #[test]
    fn the_command_line_is_well_formed() {
        crate::cli::command(table()).debug_assert();
    }
}
