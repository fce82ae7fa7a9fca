const missing = require('a-package-that-is-not-installed');
exports.handler = async () => missing;
