// The clinician page: the shared clinician flow mounted on the document (see clinician.js).
import { mountClinician } from "./clinician.js";
import { applyStrings } from "./i18n.js";

const header = document.querySelector("header");
applyStrings(header, document.documentElement);
document.body.addEventListener("hifu-language", () => applyStrings(header, document.documentElement));
mountClinician(document, document.body, document.documentElement);
