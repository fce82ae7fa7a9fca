const ready = await new Promise((resolve) => setTimeout(() => resolve('ready'), 10));
console.log('top-level await:', ready);
export const handler = async () => ready;
