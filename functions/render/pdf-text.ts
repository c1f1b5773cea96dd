export type Align = 'left' | 'right' | 'center';
