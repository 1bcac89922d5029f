//! The contacts an impact report gives (its call list, admin units' duty officers,
//! facilities' contacts): how many, for the access audit, and as a disclosure shows
//! them (see [`crate::atlas::personal`]).

use super::impact::ImpactReport;

impl ImpactReport {
    /// How many contacts (names with phones) the report gives: its call list, the
    /// admin units' duty officers and the facilities' contacts.
    pub fn contact_count(&self) -> usize {
        self.calls.len()
            + self
                .by_admin
                .iter()
                .map(|a| a.contacts.len())
                .sum::<usize>()
            + self
                .facilities
                .iter()
                .filter(|f| f.contact.is_some())
                .count()
    }

    /// The report as `disclosure` shows it: with masked contacts (admin units' duty
    /// officers, the call list, facilities' contacts) unless in full.
    pub fn shown(
        &self,
        disclosure: crate::atlas::Disclosure,
    ) -> std::borrow::Cow<'_, ImpactReport> {
        use std::borrow::Cow;
        if disclosure == crate::atlas::Disclosure::Full {
            return Cow::Borrowed(self);
        }
        let mut report = self.clone();
        for admin in &mut report.by_admin {
            for contact in &mut admin.contacts {
                *contact = contact.shown(disclosure);
            }
        }
        for call in &mut report.calls {
            call.name = disclosure.text(&call.name).into_owned();
            call.phone = disclosure.text(&call.phone).into_owned();
        }
        for facility in &mut report.facilities {
            facility.contact = facility.contact.as_ref().map(|c| c.shown(disclosure));
        }
        Cow::Owned(report)
    }
}
