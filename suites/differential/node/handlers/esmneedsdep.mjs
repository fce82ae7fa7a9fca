import missing from 'a-package-that-is-not-installed';
export const handler = async () => missing;
