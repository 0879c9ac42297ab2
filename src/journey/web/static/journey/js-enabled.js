// Run first in <body> (a file, not inline, for the Content-Security-Policy): GOV.UK Frontend styles
// components for JavaScript only when the body says JavaScript and ES modules are available.
document.body.className += ' js-enabled' + ('noModule' in HTMLScriptElement.prototype ? ' govuk-frontend-supported' : '');
