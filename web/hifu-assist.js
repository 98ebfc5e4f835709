// <hifu-assist>: the clinician flow as a web component for intranet pages (an EHR viewer, a
// referral form). It renders in its own shadow root with hifu's stylesheet, so the host page's
// CSS cannot break it and it cannot break the host page. Attributes: `lang` ("en" / "ja")
// picks the language. The element's `data-state` follows the flow (ready, done, …) and it
// fires `hifu-language` when the user switches language.
import { mountClinician } from "./clinician.js";
import { setLanguage } from "./i18n.js";

const STYLESHEET = new URL("./style.css", import.meta.url);

export class HifuAssist extends HTMLElement {
  connectedCallback() {
    if (this.shadowRoot) return;
    if (this.getAttribute("lang")) setLanguage(this.getAttribute("lang"));
    const shadow = this.attachShadow({ mode: "open" });
    const link = document.createElement("link");
    link.rel = "stylesheet";
    link.href = STYLESHEET.href;
    const body = document.createElement("div");
    body.className = "hifu-clinician";
    shadow.append(link, body);
    mountClinician(shadow, this);
  }
}

if (!customElements.get("hifu-assist")) customElements.define("hifu-assist", HifuAssist);
